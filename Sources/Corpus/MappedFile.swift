#if canImport(Glibc)
import Glibc
#endif
import Support

/// A read-only memory map of a whole file: binary corpora and prepared shards are read without loading them,
/// so memory stays bounded for files larger than RAM (the kernel pages them in and out).
public final class MappedFile: @unchecked Sendable {
    /// The file's path, for error messages.
    public let path: String
    /// The mapped bytes (empty for an empty file).
    public let bytes: UnsafeRawBufferPointer

    /// Maps `path` read-only; throws naming the file when it cannot be opened or mapped.
    public init(path: String) throws {
        self.path = path
        let (fd, size) = try FileIO.openForReading(path)
        defer { close(fd) }
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else { throw AtomicFile.ioError(path, "cannot memory-map") }
        bytes = UnsafeRawBufferPointer(start: p, count: size)
    }

    /// Size in bytes.
    public var count: Int { bytes.count }

    /// A little-endian integer at a byte offset that need not be aligned (Megatron's int64 arrays are not).
    @inline(__always) public func load<T: FixedWidthInteger>(_ offset: Int, as type: T.Type) -> T {
        T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}
