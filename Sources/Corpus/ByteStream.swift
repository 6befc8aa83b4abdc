#if canImport(Glibc)
import Glibc
#endif
import Support

/// Reads a file in chunks, transparently decompressing `.gz`, so text corpora stream with bounded memory.
public final class ByteStream {
    /// The file being read, for error messages.
    public let path: String
    private var fd: Int32 = -1
    private var gzip: GzipReader?
    private let chunkSize: Int

    /// Opens `path` (a `.gz` name is decompressed while reading).
    public init(path: String, chunkSize: Int = 1 << 22) throws {
        self.path = path
        self.chunkSize = chunkSize
        if path.hasSuffix(".gz") {
            gzip = try GzipReader(path: path)
        } else {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw AtomicFile.ioError(path, "cannot open") }
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Appends the next chunk to `buffer`; returns false at the end of the file.
    public func readChunk(appendingTo buffer: inout [UInt8]) throws -> Bool {
        if let gzip {
            guard let chunk = try gzip.nextChunk() else { return false }
            buffer.append(contentsOf: chunk)
            return true
        }
        let old = buffer.count
        buffer.reserveCapacity(old + chunkSize)
        var got = 0
        buffer.append(contentsOf: repeatElement(0, count: chunkSize))
        try buffer.withUnsafeMutableBytes { raw in
            while true {
                let n = read(fd, raw.baseAddress! + old, chunkSize)
                if n < 0 { if errno == EINTR { continue }; throw AtomicFile.ioError(path, "read failed") }
                got = n
                break
            }
        }
        buffer.removeLast(chunkSize - got)
        return got > 0
    }

    /// The whole content of a (possibly gzipped) file: used for one-file-one-document text corpora.
    public static func readWhole(_ path: String) throws -> [UInt8] {
        if path.hasSuffix(".gz") { return try Gzip.decompress(path: path) }
        return try FileIO.readAll(path)
    }
}
