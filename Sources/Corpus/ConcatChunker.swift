/// The concat-and-chunk baseline (method.md §6): documents, each ending in end-of-text, are laid end to end and
/// cut into chunks of L + 1 tokens (L input/target pairs). The offsets where a document starts inside a chunk
/// are kept so the trainer can mask attention per document. The incomplete last chunk is discarded.
public struct ConcatChunker {
    /// Tokens per chunk (L + 1).
    public let chunkTokens: Int
    private var chunk: [Int32] = []
    private var starts: [Int32] = []

    /// A chunker for trained length `length` (chunks of length + 1 tokens).
    public init(length: Int) {
        chunkTokens = length + 1
        chunk.reserveCapacity(chunkTokens)
    }

    /// Adds one document (end-of-text included); calls `emit(tokens, segmentStarts)` for each completed chunk.
    /// Segment starts always begin with 0 (a chunk may open in the middle of a document) and list every offset
    /// where a document begins.
    public mutating func add(_ document: UnsafeBufferPointer<Int32>, emit: ([Int32], [Int32]) throws -> Void) rethrows {
        var i = 0
        var atDocumentStart = true
        while i < document.count {
            if chunk.isEmpty { starts = [0] } else if atDocumentStart { starts.append(Int32(chunk.count)) }
            atDocumentStart = false
            let take = min(chunkTokens - chunk.count, document.count - i)
            chunk.append(contentsOf: UnsafeBufferPointer(rebasing: document[i..<(i + take)]))
            i += take
            if chunk.count == chunkTokens {
                try emit(chunk, starts)
                chunk.removeAll(keepingCapacity: true)
                starts.removeAll(keepingCapacity: true)
            }
        }
    }

    /// Tokens left in the incomplete last chunk, which is discarded.
    public var pendingTokens: Int { chunk.count }
}
