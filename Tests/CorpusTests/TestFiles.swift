#if canImport(Glibc)
import Glibc
#endif
@testable import Support

/// Temporary folders and raw file writing for the Corpus tests (independent of the code under test).
enum TestFiles {
    /// A fresh empty folder under /tmp.
    static func makeTemporaryDirectory() -> String {
        var template = Array("/tmp/ddtrain-corpus-test-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        return String(cString: p!)
    }

    /// Removes a folder and its files (one level plus subfolders).
    static func remove(_ dir: String) {
        for name in (try? FileIO.listDirectory(dir)) ?? [] {
            let full = dir + "/" + name
            if FileIO.isDirectory(full) { remove(full) } else { unlink(full) }
        }
        rmdir(dir)
    }

    /// Writes bytes to a file with plain POSIX calls.
    static func write(_ bytes: [UInt8], to path: String) {
        let f = fopen(path, "wb")!
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        fclose(f)
    }

    /// Writes a UTF-8 string to a file.
    static func write(_ text: String, to path: String) { write(Array(text.utf8), to: path) }

    /// Little-endian bytes of an integer.
    static func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
}

/// A small deterministic generator for test data (not the project's RNG, so tests do not lean on it).
struct TestRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        // Knuth's MMIX LCG, high bits only.
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state >> 16
    }
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
}
