#if canImport(Glibc)
import Glibc
#endif
import Support

/// JSON Lines files (optionally .gz), one document per non-blank line, its text under `field`.
///
/// A document's id counts non-blank lines across the files in order, so every rank reads every line but
/// parses only its own; memory holds one chunk and one line at a time.
public struct JSONLSource: DocumentSource {
    /// The files, in order.
    public let files: [String]
    /// The key holding the document text.
    public let field: String

    /// A source over `paths` (files, or folders whose .jsonl/.jsonl.gz/.json files are taken in name order).
    public init(paths: [String], field: String = "text") throws {
        files = try TextFileSource.expand(paths) {
            $0.hasSuffix(".jsonl") || $0.hasSuffix(".jsonl.gz") || $0.hasSuffix(".json") || $0.hasSuffix(".json.gz")
        }
        self.field = field
    }

    /// Streams every file; parses and hands over only the lines (documents) of rank `rank`.
    public func forEachDocument(rank: Int, worldSize: Int, _ body: (Document) throws -> Void) throws {
        var id = 0
        for path in files {
            try JSONLSource.forEachLine(path) { line, lineNumber in
                // Blank lines carry no document and take no id.
                guard line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { return }
                defer { id += 1 }
                guard id % worldSize == rank else { return }
                let origin = "\(path):\(lineNumber)"
                let value = try JSONParser.parse(Array(line), source: origin)
                guard let pairs = value.objectValue else {
                    throw DDError.file(origin, "line \(lineNumber) is a JSON \(value.kindName), not an object", fix: "write one JSON object per line")
                }
                guard let text = value[field] else {
                    let keys = pairs.map { "\"\($0.0)\"" }
                    let strings = pairs.filter { $0.1.stringValue != nil }.map { "\"\($0.0)\"" }
                    throw DDError.file(origin, "line \(lineNumber) has no field \"\(field)\"; its keys are "
                                       + (keys.isEmpty ? "none" : keys.joined(separator: ", ")),
                                       fix: "set data.text_field (--text-field) to the key that holds the text"
                                           + (strings.isEmpty ? "" : ", e.g. \(strings[0])"))
                }
                guard let s = text.stringValue else {
                    throw DDError.file(origin, "field \"\(field)\" on line \(lineNumber) is a \(text.kindName), not a string",
                                       fix: "set data.text_field (--text-field) to the key that holds the text")
                }
                try body(Document(id: id, content: .text(Array(s.utf8)), origin: origin))
            }
        }
    }

    /// Calls `body` with every line of a (possibly gzipped) file, without its newline, and its 1-based number.
    static func forEachLine(_ path: String, _ body: (ArraySlice<UInt8>, Int) throws -> Void) throws {
        let stream = try ByteStream(path: path)
        var buffer: [UInt8] = []
        var start = 0, lineNumber = 0
        var more = true
        while more {
            // Drop consumed bytes before reading more, so the buffer holds at most a chunk plus one partial line.
            if start > 0 { buffer.removeFirst(start); start = 0 }
            more = try stream.readChunk(appendingTo: &buffer)
            var scanFrom = start
            while true {
                let nl: Int? = buffer.withUnsafeBytes { raw in
                    guard scanFrom < raw.count,
                          let p = memchr(raw.baseAddress! + scanFrom, 0x0A, raw.count - scanFrom) else { return nil }
                    return UnsafeRawPointer(p) - raw.baseAddress!
                }
                guard let end = nl ?? (more ? nil : (start < buffer.count ? buffer.count : nil)) else { break }
                lineNumber += 1
                try body(buffer[start..<end], lineNumber)
                start = min(end + 1, buffer.count)
                scanFrom = start
                if nl == nil { break }
            }
        }
    }
}
