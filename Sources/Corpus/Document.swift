/// One document of a corpus, as a reader yields it.
public struct Document: Sendable {
    /// What a document holds: raw UTF-8 text still to be tokenized, or token ids from a pre-tokenized corpus.
    public enum Content: Sendable {
        /// UTF-8 bytes (validated by the reader).
        case text([UInt8])
        /// Token ids without a trailing end-of-text id.
        case tokens([Int32])
    }

    /// Global index of the document in the corpus: the same whatever the number of ranks reading it.
    public let id: Int
    /// The document's text or tokens.
    public let content: Content
    /// Where it came from (file, and line or index), for error messages.
    public let origin: String

    /// A document with its global id.
    public init(id: Int, content: Content, origin: String) {
        self.id = id
        self.content = content
        self.origin = origin
    }
}

/// A corpus that hands each rank its share of the documents, streaming, in increasing id order.
///
/// Rank r of `worldSize` receives exactly the documents with `id % worldSize == r`, so the union over ranks
/// is the corpus and a document's id (hence its validation split and its seeded decomposition) does not
/// depend on the world size.
public protocol DocumentSource {
    /// Calls `body` for every document of rank `rank`'s slice, in increasing id order.
    func forEachDocument(rank: Int, worldSize: Int, _ body: (Document) throws -> Void) throws
}

/// The on-disk formats a source may be in.
public enum SourceFormat: String, Sendable, CaseIterable {
    /// Pick per path: folder or .txt → text, .jsonl/.json(.gz) → jsonl, .idx/.bin with a sibling .idx → megatron,
    /// other .bin → llmc.
    case auto
    /// Plain-text files, one file per document (optionally .gz).
    case text
    /// JSON Lines, one document per line in a text field (optionally .gz).
    case jsonl
    /// Megatron-LM indexed dataset (.bin + .idx, MMIDIDX version 1).
    case megatron
    /// llm.c token shards (1024-byte header, uint16 tokens).
    case llmc
}
