/// The default tokenizer: one id per UTF-8 byte (0–255) and 256 for end-of-text; vocabulary 257.
public struct ByteTokenizer: Tokenizer {
    public init() {}
    public var name: String { "byte" }
    public var vocabularySize: Int { 257 }
    public var endOfText: Int32 { 256 }

    public func encode(_ text: UnsafeBufferPointer<UInt8>) -> [Int32] {
        [Int32](unsafeUninitializedCapacity: text.count) { out, n in
            for i in 0..<text.count { out[i] = Int32(text[i]) }
            n = text.count
        }
    }

    public func decode(_ ids: [Int32]) -> String {
        var bytes: [UInt8] = []
        var out = ""
        for id in ids {
            if id == endOfText {
                out += String(decoding: bytes, as: UTF8.self) + "<|endoftext|>"
                bytes.removeAll()
            } else if (0..<256).contains(id) {
                bytes.append(UInt8(id))
            }
        }
        return out + String(decoding: bytes, as: UTF8.self)
    }
}
