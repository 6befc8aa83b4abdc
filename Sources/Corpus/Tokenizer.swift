/// Turns text into token ids and back. Implementations are immutable and safe to share between threads.
public protocol Tokenizer: Sendable {
    /// A stable name written to the manifest ("byte", "gpt2").
    var name: String { get }
    /// Number of ids, the model's vocabulary size.
    var vocabularySize: Int { get }
    /// The end-of-text id appended to every document.
    var endOfText: Int32 { get }
    /// Token ids of `text` (UTF-8 bytes), without an end-of-text id.
    func encode(_ text: UnsafeBufferPointer<UInt8>) -> [Int32]
    /// The text of `ids` (invalid UTF-8 sequences decoded with replacement characters; end-of-text shown as a marker).
    func decode(_ ids: [Int32]) -> String
}

extension Tokenizer {
    /// Token ids of a string.
    public func encode(_ text: String) -> [Int32] {
        var t = text
        return t.withUTF8 { encode($0) }
    }
}
