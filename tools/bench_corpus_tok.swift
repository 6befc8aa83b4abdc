// Throughput of the GPT-2 tokenizer and of gzip decompression, built outside SwiftPM as one module
// (optimised, whole-module, like a release build) by tools/bench_corpus_tok.sh, then:
//   /tmp/bench_corpus_tok tokenize assets/gpt2 FILE      # MB/s of encode on FILE (cold and warm cache)
//   /tmp/bench_corpus_tok gunzip FILE.gz                 # MB/s of output, in memory and streaming
// (Support and Corpus are compiled into this module, their `import Support` lines removed by the script.)

#if canImport(Glibc)
import Glibc
#endif

func mbps(_ bytes: Int, _ seconds: Double) -> String { fixed(Double(bytes) / seconds / 1e6, 1) + " MB/s" }

/// CPU seconds of this thread: unlike wall time, it does not count time the core spent on other processes
/// (this machine is shared), so MB/s per CPU second is the more stable figure.
func cpuSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Runs `body`, returning wall and CPU seconds.
func timed(_ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
    let w = monotonicSeconds(), c = cpuSeconds()
    try body()
    return (monotonicSeconds() - w, cpuSeconds() - c)
}

func rates(_ bytes: Int, _ t: (wall: Double, cpu: Double)) -> String {
    "\(mbps(bytes, t.wall)) wall, \(mbps(bytes, t.cpu)) per CPU second"
}

func tokenize(_ dir: String, _ path: String) throws {
    let t0 = monotonicSeconds()
    let tok = try GPT2Tokenizer(directory: dir)
    let load = monotonicSeconds() - t0
    let text = try FileIO.readAll(path)
    var ids: [Int32] = []
    for pass in ["cold cache", "warm cache", "warm cache"] {
        let t = timed { ids = text.withUnsafeBufferPointer { tok.encode($0) } }
        print("encode \(pass): \(text.count) bytes -> \(ids.count) ids: \(rates(text.count, t))")
    }
    // Document-sized calls, as the prepare step makes them (one encode per ~4 KB document).
    var total = 0
    let t = timed { text.withUnsafeBufferPointer { buf in
        var i = 0
        while i < buf.count {
            let n = min(4096, buf.count - i)
            total += tok.encode(UnsafeBufferPointer(rebasing: buf[i..<i + n])).count
            i += n
        }
    } }
    print("encode in 4 KB documents: \(rates(text.count, t)) (\(total) ids); load \(fixed(load, 3)) s")
}

func gunzip(_ path: String) throws {
    let gz = try FileIO.readAll(path)
    var out: [UInt8] = []
    var best = (wall: Double.infinity, cpu: Double.infinity)
    for _ in 0..<3 {
        let t = try timed { out = try Gzip.decompress(gz, source: path) }
        best = (min(best.wall, t.wall), min(best.cpu, t.cpu))
    }
    print("Gzip.decompress: \(gz.count) -> \(out.count) bytes, best of 3: \(rates(out.count, best))")
    var n = 0
    let t = try timed {
        let reader = try GzipReader(path: path)
        while let chunk = try reader.nextChunk() { n += chunk.count }
    }
    print("GzipReader.nextChunk: \(n) bytes: \(rates(n, t))")
}

let args = CommandLine.arguments
do {
    switch args.count >= 2 ? args[1] : "" {
    case "tokenize" where args.count == 4: try tokenize(args[2], args[3])
    case "gunzip" where args.count == 3: try gunzip(args[2])
    default: print("usage: bench_corpus_tok tokenize DIR FILE | gunzip FILE.gz"); exit(2)
    }
} catch {
    print("error: \(error)"); exit(1)
}
