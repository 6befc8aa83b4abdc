#if canImport(Glibc)
import Glibc
#endif

/// Writes files so that a reader sees either the old complete file or the new complete one, never a part.
///
/// Data goes to `NAME.tmp-PID`, is fsynced, renamed over `NAME`, and the folder is fsynced so the rename
/// survives a crash. A failed write removes the temporary file and throws naming the path.
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically.
    public static func write(_ bytes: UnsafeRawBufferPointer, to path: String) throws {
        let tmp = temporaryName(for: path)
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ioError(path, "cannot create") }
        do {
            try writeAll(fd: fd, bytes, path: path)
            guard fsync(fd) == 0 else { throw ioError(path, "cannot fsync") }
            close(fd)
        } catch {
            close(fd); unlink(tmp); throw error
        }
        guard rename(tmp, path) == 0 else { let e = ioError(path, "cannot rename into place"); unlink(tmp); throw e }
        syncDirectory(of: path)
    }

    /// Writes `bytes` to `path` atomically.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try bytes.withUnsafeBytes { try write($0, to: path) }
    }

    /// Writes a UTF-8 string to `path` atomically.
    public static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }

    /// The temporary name used while `path` is being written.
    public static func temporaryName(for path: String) -> String { "\(path).tmp-\(getpid())" }

    /// Writes every byte of `bytes` to `fd`, retrying short writes; throws naming `path` (e.g. on a full disk).
    public static func writeAll(fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, min(bytes.count - done, 1 << 30))
            if n < 0 {
                if errno == EINTR { continue }
                throw ioError(path, "write failed")
            }
            done += n
        }
    }

    /// Fsyncs the folder holding `path` so that a rename or creation inside it is durable.
    public static func syncDirectory(of path: String) {
        let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let fd = open(dir.isEmpty ? "/" : dir, O_RDONLY | O_DIRECTORY)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    /// An error naming the path and the system's reason.
    public static func ioError(_ path: String, _ what: String) -> DDError {
        let reason = String(cString: strerror(errno))
        let fix: String
        switch errno {
        case ENOSPC, EDQUOT: fix = "free disk space or choose another output folder"
        case EACCES, EPERM, EROFS: fix = "choose a writable folder or fix its permissions"
        case ENOENT: fix = "check that the path exists"
        default: fix = "check the path and the disk"
        }
        return DDError.file(path, "\(what): \(reason)", fix: fix)
    }
}
