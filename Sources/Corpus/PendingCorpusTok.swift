import Support

// Stand-ins for the GPT-2 tokenizer and gzip reader that branch wt-corpus-tok delivers; this file is deleted
// when that branch is merged. They only report that the feature is missing from this build.

/// Stand-in: gzip support arrives with branch wt-corpus-tok.
public enum Gzip {
    /// Always throws: gzip support is not in this build yet.
    public static func decompress(_ bytes: [UInt8]) throws -> [UInt8] {
        throw DDError("gzip input is not supported by this build yet (fix: decompress the file with gunzip first)")
    }
}

/// Stand-in: streaming gzip support arrives with branch wt-corpus-tok.
public final class GzipReader {
    /// Always throws: gzip support is not in this build yet.
    public init(path: String) throws {
        throw DDError.file(path, "gzip input is not supported by this build yet", fix: "decompress the file with gunzip first")
    }
    /// Never reached.
    public func nextChunk() throws -> [UInt8]? { nil }
}

/// Stand-in: the GPT-2 tokenizer arrives with branch wt-corpus-tok.
public struct GPT2Tokenizer: Tokenizer {
    /// Always throws: the GPT-2 tokenizer is not in this build yet.
    public init(directory: String) throws {
        throw DDError.file(directory, "the GPT-2 tokenizer is not part of this build yet", fix: "use tokenizer \"byte\"")
    }
    public var name: String { "gpt2" }
    public var vocabularySize: Int { 50257 }
    public var endOfText: Int32 { 50256 }
    public func encode(_ text: UnsafeBufferPointer<UInt8>) -> [Int32] { [] }
    public func decode(_ ids: [Int32]) -> String { "" }
}
