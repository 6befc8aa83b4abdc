import Support
#if canImport(Glibc)
import Glibc
#endif

/// One checkpoint file: a JSON header describing the run's state, then raw Float sections (parameters,
/// AdamW moments), each with its SHA-256.
///
/// Layout: 8-byte magic "DDTCKPT1", UInt64 little-endian header length, the header (UTF-8 JSON), zero padding
/// to a multiple of 64, then the sections back to back at the offsets the header gives (relative to the end of
/// the padding). Written under a temporary name, fsynced and renamed, so a crash leaves the previous file intact.
public enum CheckpointFile {
    static let magic: [UInt8] = Array("DDTCKPT1".utf8)

    /// A named block of Floats to store.
    public struct Section {
        public let name: String
        public let data: UnsafeBufferPointer<Float>
        public init(name: String, data: UnsafeBufferPointer<Float>) { self.name = name; self.data = data }
    }

    /// What a loaded checkpoint holds.
    public struct Loaded {
        public let header: JSON
        public let sections: [String: [Float]]
    }

    /// Writes `header` (extended with the section table) and `sections` to `path` atomically.
    /// `beforeRename` runs after the data is written and before the rename (fault injection in tests).
    public static func write(path: String, header: JSON, sections: [Section], beforeRename: () -> Void = {}) throws {
        var table: [JSON] = []
        var offset = 0
        for s in sections {
            var h = SHA256()
            h.update(UnsafeRawBufferPointer(s.data))
            table.append(.obj(["name": .string(s.name), "offset": .int(offset), "floats": .int(s.data.count),
                               "sha256": .string(h.finalizeHex())]))
            offset += s.data.count * 4
        }
        let full = header.setting("sections", to: .array(table))
        var head = magic
        let json = Array(full.compact.utf8)
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { head += $0 }
        head += json
        head += [UInt8](repeating: 0, count: (64 - head.count % 64) % 64)

        let tmp = AtomicFile.temporaryName(for: path)
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AtomicFile.ioError(path, "cannot create checkpoint") }
        do {
            try head.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) }
            for s in sections { try AtomicFile.writeAll(fd: fd, UnsafeRawBufferPointer(s.data), path: path) }
            guard fsync(fd) == 0 else { throw AtomicFile.ioError(path, "cannot fsync checkpoint") }
            close(fd)
        } catch {
            close(fd); unlink(tmp); throw error
        }
        beforeRename()
        guard rename(tmp, path) == 0 else { let e = AtomicFile.ioError(path, "cannot rename checkpoint into place"); unlink(tmp); throw e }
        AtomicFile.syncDirectory(of: path)
    }

    /// Reads only the header of a checkpoint (cheap; no checksum verification).
    public static func readHeader(path: String) throws -> JSON {
        let (header, _) = try parseHead(try FileIO.readAll(path), path: path, headerOnly: true)
        return header
    }

    /// Reads a checkpoint and verifies every section's size and SHA-256.
    public static func read(path: String) throws -> Loaded {
        let bytes = try FileIO.readAll(path)
        let (header, dataStart) = try parseHead(bytes, path: path, headerOnly: false)
        guard let table = header["sections"]?.arrayValue else {
            throw DDError.file(path, "checkpoint header has no section table", fix: "use another checkpoint")
        }
        var sections: [String: [Float]] = [:]
        for entry in table {
            guard let name = entry["name"]?.stringValue, let off = entry["offset"]?.intValue,
                  let n = entry["floats"]?.intValue, let sha = entry["sha256"]?.stringValue, off >= 0, n >= 0 else {
                throw DDError.file(path, "malformed section entry \(entry.compact)", fix: "use another checkpoint")
            }
            let start = dataStart + off, end = start + n * 4
            guard end <= bytes.count else {
                throw DDError.file(path, "section '\(name)' ends at byte \(end) but the file has \(bytes.count) (truncated)",
                                   fix: "use the previous checkpoint")
            }
            let digest: String = bytes.withUnsafeBytes { raw in
                var h = SHA256()
                h.update(UnsafeRawBufferPointer(rebasing: raw[start..<end]))
                return h.finalizeHex()
            }
            guard digest == sha else {
                throw DDError.file(path, "section '\(name)' fails its SHA-256 check (corrupted)", fix: "use the previous checkpoint")
            }
            sections[name] = bytes.withUnsafeBytes { raw in
                [Float](unsafeUninitializedCapacity: n) { buf, count in
                    if n > 0 { memcpy(buf.baseAddress!, raw.baseAddress! + start, n * 4) }
                    count = n
                }
            }
        }
        return Loaded(header: header, sections: sections)
    }

    private static func parseHead(_ bytes: [UInt8], path: String, headerOnly: Bool) throws -> (JSON, Int) {
        guard bytes.count >= 16, Array(bytes[0..<8]) == magic else {
            throw DDError.file(path, "not a ddtrain checkpoint (bad magic)", fix: "name a checkpoint-*.ddt file written by ddtrain train")
        }
        let length = bytes.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self))) }
        guard length >= 2, 16 + length <= bytes.count else {
            throw DDError.file(path, "checkpoint header length \(length) exceeds the file (truncated)", fix: "use the previous checkpoint")
        }
        let header = try JSONParser.parse(Array(bytes[16..<16 + length]), source: path)
        let dataStart = (16 + length + 63) / 64 * 64
        return (header, dataStart)
    }
}
