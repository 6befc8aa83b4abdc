// Throughput of the GPT-2 tokenizer and of gzip decompression, built outside SwiftPM as one module
// (optimised, whole-module, like a release build) by tools/bench_corpus_tok.sh, then:
//   /tmp/bench_corpus_tok tokenize assets/gpt2 FILE      # MB/s of encode on FILE (cold and warm cache)
//   /tmp/bench_corpus_tok gunzip FILE.gz                 # MB/s of output, in memory and streaming
// (Support and Corpus are compiled into this module, their `import Support` lines removed by the script.)

#if canImport(Glibc)
import Glibc
#endif

func mbps(_ bytes: Int, _ seconds: Double) -> String { fixed(Double(bytes) / seconds / 1e6, 1) + " MB/s" }

func tokenize(_ dir: String, _ path: String) throws {
    let t0 = monotonicSeconds()
    let tok = try GPT2Tokenizer(directory: dir)
    let load = monotonicSeconds() - t0
    let text = try FileIO.readAll(path)
    var ids: [Int32] = []
    for pass in ["cold cache", "warm cache", "warm cache"] {
        let s = monotonicSeconds()
        ids = text.withUnsafeBufferPointer { tok.encode($0) }
        let dt = monotonicSeconds() - s
        print("encode \(pass): \(text.count) bytes -> \(ids.count) ids in \(fixed(dt, 3)) s = \(mbps(text.count, dt))")
    }
    // Document-sized calls, as the prepare step makes them (one encode per ~4 KB document).
    let s = monotonicSeconds()
    var total = 0
    text.withUnsafeBufferPointer { buf in
        var i = 0
        while i < buf.count {
            let n = min(4096, buf.count - i)
            total += tok.encode(UnsafeBufferPointer(rebasing: buf[i..<i + n])).count
            i += n
        }
    }
    let dt = monotonicSeconds() - s
    print("encode in 4 KB documents: \(mbps(text.count, dt)) (\(total) ids); load \(fixed(load, 3)) s")
}

func gunzip(_ path: String) throws {
    let gz = try FileIO.readAll(path)
    var out: [UInt8] = []
    var best = Double.infinity
    for _ in 0..<3 {
        let s = monotonicSeconds()
        out = try Gzip.decompress(gz, source: path)
        best = min(best, monotonicSeconds() - s)
    }
    print("Gzip.decompress: \(gz.count) -> \(out.count) bytes, best of 3 \(fixed(best, 3)) s = \(mbps(out.count, best))")
    let s = monotonicSeconds()
    let reader = try GzipReader(path: path)
    var n = 0
    while let chunk = try reader.nextChunk() { n += chunk.count }
    let dt = monotonicSeconds() - s
    print("GzipReader chunks: \(n) bytes in \(fixed(dt, 3)) s = \(mbps(n, dt))")
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
