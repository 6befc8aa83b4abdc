import Foundation
import Testing
@testable import Corpus
import Support

private let fixtureDir = NSTemporaryDirectory() + "gziptests-\(getpid())"

/// Inputs made by independent implementations: the system's `gzip` and Python's zlib/gzip modules
/// (tools/gzip_fixtures.py), written once per test process into a temporary folder removed at exit.
private let fixtures: Result<String, Error> = Result {
    let dir = fixtureDir
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: fixtureDir) }
    let root = String(#filePath).split(separator: "/").dropLast(3).joined(separator: "/")
    try run("/usr/bin/env", ["python3", "/" + root + "/tools/gzip_fixtures.py", dir])
    for level in [1, 6, 9] {
        for input in ["prose.txt", "noise.bin"] {
            try run("/bin/sh", ["-c", "gzip -\(level) -c '\(dir)/\(input)' > '\(dir)/gzip\(level)_\(input).gz'"])
        }
    }
    return dir
}

private func run(_ tool: String, _ args: [String]) throws {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: tool)
    p.arguments = args
    try p.run()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw DDError("\(tool) \(args) failed with status \(p.terminationStatus)") }
}

private func fixture(_ name: String) throws -> String { try fixtures.get() + "/" + name }

/// Reads a whole file through GzipReader in pieces of `piece` bytes, with a small output chunk so that
/// the window slides many times.
private func readStreaming(_ path: String, piece: Int, chunkSize: Int, inputBufferSize: Int = 1 << 20) throws -> [UInt8] {
    let reader = try GzipReader(path: path, chunkSize: chunkSize, inputBufferSize: inputBufferSize)
    var out: [UInt8] = []
    while try reader.read(into: &out, max: piece) > 0 {}
    #expect(try reader.read(into: &out, max: piece) == 0)
    return out
}

@Suite struct GzipTests {
    @Test func crc32MatchesPublishedVector() {
        #expect(Gzip.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(Gzip.crc32([]) == 0)
        // zlib.crc32(b"The quick brown fox jumps over the lazy dog") == 0x414FA339
        #expect(Gzip.crc32(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x414F_A339)
    }

    /// Files from `gzip -1/-6/-9` of text and of random data (which gzip stores in stored blocks).
    @Test(arguments: [1, 6, 9])
    func systemGzipLevels(level: Int) throws {
        for input in ["prose.txt", "noise.bin"] {
            let original = try FileIO.readAll(try fixture(input))
            let path = try fixture("gzip\(level)_\(input).gz")
            #expect(try Gzip.decompress(FileIO.readAll(path), source: path) == original, "gzip -\(level) \(input)")
            #expect(try Gzip.decompress(path: path) == original)
            #expect(try readStreaming(path, piece: 7_777, chunkSize: 4096) == original)
            // A 1000-byte input buffer: refills land inside Huffman codes, stored blocks and headers.
            #expect(try readStreaming(path, piece: 65_536, chunkSize: 100_000, inputBufferSize: 1000) == original)
        }
    }

    /// Python-made members: every header flag, fixed/Huffman-only/RLE/stored blocks, multi-member, empty.
    @Test(arguments: ["py_default", "py_level1_mtime0", "py_empty", "py_random", "stored_blocks", "fixed_huffman",
                      "huffman_only", "rle_runs", "small_window_runs", "all_flags", "multi_member", "trailing_zeros",
                      "one_byte"])
    func pythonMadeFiles(name: String) throws {
        let path = try fixture(name + ".gz")
        let expected = try FileIO.readAll(try fixture(name + ".out"))
        #expect(try Gzip.decompress(FileIO.readAll(path), source: path) == expected)
        #expect(try readStreaming(path, piece: 1000, chunkSize: 4096) == expected)
        #expect(try readStreaming(path, piece: 1000, chunkSize: 4096, inputBufferSize: 64) == expected)
        let reader = try GzipReader(path: path)
        var chunks: [UInt8] = []
        while let c = try reader.nextChunk() { chunks += c }
        #expect(chunks == expected)
    }

    @Test(arguments: [
        ("bad_magic", "bad magic"), ("bad_method", "compression method"), ("bad_crc", "CRC-32 mismatch"),
        ("bad_isize", "length mismatch"), ("bad_header_crc", "header CRC mismatch"), ("bad_block_type", "block type 3"),
        ("bad_trailing_garbage", "unexpected data after gzip member 1"), ("bad_stored_length", "stored block"),
        ("bad_distance", "distance"), ("bad_empty_file", "is empty"),
    ])
    func corruptInputsAreRejected(name: String, message: String) throws {
        let path = try fixture(name + ".gz")
        for attempt in 0..<2 {
            do {
                _ = attempt == 0 ? try Gzip.decompress(path: path)
                    : try readStreaming(path, piece: 100, chunkSize: 4096, inputBufferSize: 64)
                Issue.record("\(name) was accepted")
            } catch let e as DDError {
                #expect(e.message.contains(path) && e.message.contains(message) && e.message.contains("offset"), "\(e.message)")
                #expect(!e.message.contains("\n"))
            }
        }
    }

    /// Every prefix of a valid file (cut at many points, header and trailer included) is reported as
    /// truncated, never accepted, never a crash.
    @Test func truncatedInputsAreRejected() throws {
        let whole = try FileIO.readAll(try fixture("gzip6_prose.txt.gz"))
        var cuts = Array(stride(from: 1, to: whole.count, by: 997))
        cuts += Array(1..<20) + Array((whole.count - 12)..<whole.count)
        for cut in cuts {
            do {
                _ = try Gzip.decompress(Array(whole[0..<cut]), source: "cut\(cut)")
                Issue.record("prefix of \(cut) bytes was accepted")
            } catch let e as DDError {
                #expect(e.message.contains("cut\(cut)") && e.message.contains("truncated"), "\(e.message)")
            }
        }
    }

    /// Random byte flips in the body are caught (by the decoder or by the CRC), never trap.
    @Test func corruptedBodiesAreRejected() throws {
        let whole = try FileIO.readAll(try fixture("gzip9_prose.txt.gz"))
        var rng = Xoshiro256(seed: 3)
        for _ in 0..<40 {
            var bad = whole
            let at = 32 + rng.nextInt(below: whole.count - 40)  // past the header and its file name
            bad[at] ^= UInt8(1 + rng.nextInt(below: 255))
            #expect(throws: DDError.self) { _ = try Gzip.decompress(bad) }
        }
    }

    @Test func missingFileIsNamed() {
        do {
            _ = try GzipReader(path: "/nonexistent/x.gz")
            Issue.record("opened a missing file")
        } catch let e as DDError {
            #expect(e.message.contains("/nonexistent/x.gz") && e.message.contains("not found"))
        } catch { Issue.record("\(error)") }
    }
}
