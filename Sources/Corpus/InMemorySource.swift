/// Documents held in memory, numbered in order: for benchmarks and tests that must not touch the disk.
public struct InMemorySource: DocumentSource {
    /// The documents' UTF-8 text, in id order.
    public let documents: [[UInt8]]

    /// A source over `documents` (document i has id i).
    public init(documents: [[UInt8]]) { self.documents = documents }

    /// Hands rank `rank` the documents with id % worldSize == rank, in id order.
    public func forEachDocument(rank: Int, worldSize: Int, _ body: (Document) throws -> Void) throws {
        for id in stride(from: rank, to: documents.count, by: worldSize) {
            try body(Document(id: id, content: .text(documents[id]), origin: "document \(id)"))
        }
    }
}
