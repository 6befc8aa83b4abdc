#if canImport(Glibc)
import Glibc
#endif
import Support

/// Width of the token ids stored on disk: uint16 when the vocabulary fits, else uint32.
public enum TokenDType: String, Sendable {
    case uint16, uint32

    /// The narrowest type that holds every id of a vocabulary of `vocabularySize` ids.
    public init(vocabularySize: Int) { self = vocabularySize <= 65_536 ? .uint16 : .uint32 }

    /// Bytes per stored token.
    public var byteWidth: Int { self == .uint16 ? 2 : 4 }
}

/// Name, size and SHA-256 of one written file (names are relative to the dataset folder).
public struct FileRecord: Equatable, Sendable {
    public let name: String
    public let bytes: Int
    public let sha256: String

    public init(name: String, bytes: Int, sha256: String) {
        self.name = name
        self.bytes = bytes
        self.sha256 = sha256
    }

    /// `{"name", "bytes", "sha256"}`.
    public var json: JSON { .obj(["name": .string(name), "bytes": .int(bytes), "sha256": .string(sha256)]) }

    /// Parses the JSON form; `at` names the place in the manifest for errors.
    public init(json: JSON, at: String) throws {
        guard let n = json["name"]?.stringValue, let b = json["bytes"]?.intValue, let h = json["sha256"]?.stringValue else {
            throw DDError.file(at, "expected a file record {name, bytes, sha256}", fix: "prepare the dataset again")
        }
        self.init(name: n, bytes: b, sha256: h)
    }
}

/// Writes a file through a buffer to a temporary name, hashing as it goes; `finish` fsyncs and renames it into
/// place, so a reader (or an interrupted run) never sees a partial file under the final name.
public final class HashingFileWriter {
    /// Final path.
    public let path: String
    private let name: String
    private let temporary: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    private var hasher = SHA256()
    private var written = 0
    private let bufferSize = 1 << 20

    /// Starts writing `name` inside `directory`.
    public init(directory: String, name: String) throws {
        self.name = name
        path = directory + "/" + name
        temporary = AtomicFile.temporaryName(for: path)
        fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AtomicFile.ioError(temporary, "cannot create") }
        buffer.reserveCapacity(bufferSize)
    }

    deinit { abandon() }

    /// Appends raw bytes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > bufferSize { try flush() }
        if bytes.count >= bufferSize { try emit(bytes); return }
        buffer.append(contentsOf: bytes)
    }

    /// Appends token ids in the on-disk width (little-endian).
    public func write(tokens: UnsafeBufferPointer<Int32>, as dtype: TokenDType) throws {
        switch dtype {
        case .uint16:
            try withUnsafeTemporaryAllocation(of: UInt16.self, capacity: tokens.count) { out in
                for i in 0..<tokens.count { out[i] = UInt16(truncatingIfNeeded: tokens[i]).littleEndian }
                try write(UnsafeRawBufferPointer(out))
            }
        case .uint32:
            try withUnsafeTemporaryAllocation(of: UInt32.self, capacity: tokens.count) { out in
                for i in 0..<tokens.count { out[i] = UInt32(truncatingIfNeeded: tokens[i]).littleEndian }
                try write(UnsafeRawBufferPointer(out))
            }
        }
    }

    /// Appends token ids in the on-disk width.
    public func write(tokens: [Int32], as dtype: TokenDType) throws {
        try tokens.withUnsafeBufferPointer { try write(tokens: $0, as: dtype) }
    }

    private func emit(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        hasher.update(bytes)
        try AtomicFile.writeAll(fd: fd, bytes, path: temporary)
        written += bytes.count
    }

    private func flush() throws {
        try buffer.withUnsafeBytes { try emit($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, fsyncs and renames the file into place; returns its record.
    public func finish() throws -> FileRecord {
        try flush()
        guard fsync(fd) == 0 else { throw AtomicFile.ioError(temporary, "cannot fsync") }
        close(fd)
        fd = -1
        guard rename(temporary, path) == 0 else { throw AtomicFile.ioError(path, "cannot rename into place") }
        return FileRecord(name: name, bytes: written, sha256: hasher.finalizeHex())
    }

    /// Closes and removes the temporary file (after an error); a no-op once finished.
    public func abandon() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
        unlink(temporary)
    }
}
