#if canImport(Glibc)
import Glibc
#endif

/// Small file helpers with errors that name the file.
public enum FileIO {
    /// Opens `path` read-only (close-on-exec) and returns the descriptor, which the caller closes, with the size
    /// fstat reports; throws naming the file when it cannot be opened or stat'ed, or is a folder.
    public static func openForReading(_ path: String) throws -> (descriptor: Int32, size: Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw AtomicFile.ioError(path, "cannot open") }
        var st = stat()
        guard fstat(fd, &st) == 0 else { close(fd); throw AtomicFile.ioError(path, "cannot stat") }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw DDError.file(path, "is a folder, not a file", fix: "name a file")
        }
        return (fd, Int(st.st_size))
    }

    /// The whole file as bytes.
    public static func readAll(_ path: String) throws -> [UInt8] {
        let (fd, size) = try openForReading(path)
        defer { close(fd) }
        // The size is a hint only: files under /proc report 0, so read until end of file.
        var out = [UInt8](repeating: 0, count: max(size, 4096))
        var done = 0
        while true {
            if done == out.count { out.append(contentsOf: [UInt8](repeating: 0, count: out.count)) }
            let n = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 { if errno == EINTR { continue }; throw AtomicFile.ioError(path, "read failed") }
            if n == 0 { break }
            done += n
        }
        out.removeLast(out.count - done)
        return out
    }

    /// The whole file as UTF-8 text.
    public static func readText(_ path: String) throws -> String {
        let b = try readAll(path)
        guard let s = String(validating: b, as: UTF8.self) else {
            throw DDError.file(path, "is not valid UTF-8 text", fix: "convert the file to UTF-8")
        }
        return s
    }

    /// Parses a JSON file.
    public static func readJSON(_ path: String) throws -> JSON {
        try JSONParser.parse(try readAll(path), source: path)
    }

    /// Whether a file or folder exists at `path`.
    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Whether `path` is a folder.
    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Size in bytes of the file at `path`.
    public static func size(_ path: String) throws -> Int {
        var st = stat()
        guard stat(path, &st) == 0 else { throw AtomicFile.ioError(path, "cannot stat") }
        return Int(st.st_size)
    }

    /// Creates a folder and its parents (like mkdir -p); throws naming the folder.
    public static func makeDirectories(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part + "/"
            if mkdir(prefix, 0o755) != 0, errno != EEXIST {
                throw AtomicFile.ioError(path, "cannot create folder")
            }
        }
        guard isDirectory(path) else { throw DDError.file(path, "exists but is not a folder", fix: "choose another path") }
    }

    /// Names of the entries of a folder, sorted bytewise (deterministic across machines).
    public static func listDirectory(_ path: String) throws -> [String] {
        guard let d = opendir(path) else { throw AtomicFile.ioError(path, "cannot list folder") }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) { $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) } }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// Removes a file if it exists.
    public static func removeIfPresent(_ path: String) { unlink(path) }
}
