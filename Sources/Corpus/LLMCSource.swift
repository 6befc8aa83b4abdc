import Support

/// llm.c token shards: a 1024-byte header of 256 little-endian int32 (magic 20240520, version 1, token count),
/// then uint16 tokens. The shards form one token stream (a document may continue into the next shard) that is
/// split at the end-of-text id; empty segments (e.g. the end-of-text that opens every shard) are no documents.
public struct LLMCSource: DocumentSource {
    /// The shard files, in order.
    public let files: [String]
    /// The id that separates documents.
    public let endOfText: Int32

    /// The header's magic number.
    public static let magic: Int32 = 20240520

    /// A source over `paths` (files, or folders whose .bin files are taken in name order).
    public init(paths: [String], endOfText: Int32) throws {
        files = try TextFileSource.expand(paths) { $0.hasSuffix(".bin") }
        self.endOfText = endOfText
    }

    /// Maps a shard and checks its header; returns the map and its token count.
    public static func open(_ path: String) throws -> (MappedFile, Int) {
        let f = try MappedFile(path: path)
        let fix = "name an llm.c token shard written by its data scripts (version 1, uint16 tokens)"
        guard f.count >= 1024 else { throw DDError.file(path, "truncated: \(f.count) bytes, the header alone needs 1024", fix: fix) }
        let magic = f.load(0, as: Int32.self)
        guard magic == LLMCSource.magic else {
            throw DDError.file(path, "bad magic \(magic) at byte offset 0, expected \(LLMCSource.magic)", fix: fix)
        }
        let version = f.load(4, as: Int32.self)
        guard version == 1 else { throw DDError.file(path, "version \(version) at byte offset 4, expected 1 (uint16 tokens)", fix: fix) }
        let count = Int(f.load(8, as: Int32.self))
        guard count >= 0, f.count == 1024 + 2 * count else {
            throw DDError.file(path, "\(f.count < 1024 + 2 * count ? "truncated" : "sizes disagree"): \(f.count) bytes, the header's \(count) tokens need \(1024 + 2 * count)", fix: fix)
        }
        return (f, count)
    }

    /// Scans the token stream of all shards; hands over the documents of rank `rank`.
    public func forEachDocument(rank: Int, worldSize: Int, _ body: (Document) throws -> Void) throws {
        // Every rank scans the whole stream to number the documents; it keeps only its own tokens.
        var id = 0, length = 0
        var current: [Int32] = []
        var origin = ""
        func endDocument() throws {
            guard length > 0 else { return }
            if id % worldSize == rank { try body(Document(id: id, content: .tokens(current), origin: origin)) }
            id += 1; length = 0; current.removeAll(keepingCapacity: true)
        }
        for path in files {
            let (f, count) = try LLMCSource.open(path)
            let tokens = UnsafeRawBufferPointer(rebasing: f.bytes[1024...])
            let eot = UInt16(truncatingIfNeeded: endOfText)
            for j in 0..<count {
                let t = UInt16(littleEndian: tokens.loadUnaligned(fromByteOffset: 2 * j, as: UInt16.self))
                if t == eot { try endDocument(); continue }
                if length == 0 { origin = "\(path) token \(j)" }
                length += 1
                if id % worldSize == rank { current.append(Int32(t)) }
            }
        }
        try endDocument()
    }
}
