import Support

/// GPT-2's byte-level BPE tokenizer (50,257 ids, end-of-text 50256), producing the ids of OpenAI's
/// reference encoder.
///
/// Text is split into pieces by `GPT2PreTokenizer`, each piece's bytes start as one id per byte, and
/// `BPEMerges` merges them by rank; the ids of each distinct piece are cached. "<|endoftext|>" inside a
/// text is ordinary text, as in the reference encoder: callers append `endOfText` themselves.
/// Loaded from the standard files (assets/gpt2/encoder.json and vocab.bpe in this repository).
public struct GPT2Tokenizer: Tokenizer {
    let vocabulary: GPT2Vocabulary
    let merges: BPEMerges
    private let cache: GPT2WordCache

    /// Pieces longer than this are encoded without the cache (they rarely repeat and would bloat it).
    static let maxCachedPieceBytes = 256

    /// Loads `encoder.json` and `vocab.bpe` from the given paths.
    public init(encoderJSONPath: String, vocabBPEPath: String) throws {
        try self.init(encoderJSON: try Self.read(encoderJSONPath), vocabBPE: try Self.read(vocabBPEPath),
                      encoderName: encoderJSONPath, vocabName: vocabBPEPath)
    }

    /// Loads `encoder.json` and `vocab.bpe` from one folder.
    public init(directory: String) throws {
        let dir = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        try self.init(encoderJSONPath: dir + "/encoder.json", vocabBPEPath: dir + "/vocab.bpe")
    }

    /// Builds the tokenizer from the contents of the two files; the names appear in error messages.
    /// `cacheEntries` bounds the word cache (the cache starts over when full).
    public init(encoderJSON: [UInt8], vocabBPE: [UInt8], encoderName: String = "encoder.json",
                vocabName: String = "vocab.bpe", cacheEntries: Int = 1 << 19) throws {
        vocabulary = try GPT2Vocabulary(encoderJSON: encoderJSON, vocabBPE: vocabBPE,
                                        encoderName: encoderName, vocabName: vocabName)
        merges = BPEMerges(vocabulary.merges, byteIds: vocabulary.byteIds)
        cache = GPT2WordCache(maxEntries: cacheEntries)
    }

    private static func read(_ path: String) throws -> [UInt8] {
        guard FileIO.exists(path) else {
            throw DDError.file(path, "not found", fix: "point the tokenizer at GPT-2's encoder.json and vocab.bpe (shipped in assets/gpt2/)")
        }
        return try FileIO.readAll(path)
    }

    /// "gpt2", the name written to the manifest.
    public var name: String { "gpt2" }
    /// 50,257 for GPT-2's files.
    public var vocabularySize: Int { vocabulary.tokenBytes.count }
    /// The id of "<|endoftext|>" (50256 for GPT-2's files).
    public var endOfText: Int32 { vocabulary.endOfText }
    /// Number of distinct pieces in the word cache now (for tests and diagnostics).
    var cachedWords: Int { cache.count }

    /// Token ids of `text` (UTF-8 bytes; invalid bytes are kept as their own byte tokens).
    public func encode(_ text: UnsafeBufferPointer<UInt8>) -> [Int32] {
        guard let base = text.baseAddress, text.count > 0 else { return [] }
        var out: [Int32] = []
        out.reserveCapacity(text.count / 3 + 16)
        var symbols: [Int32] = [], ranks: [Int32] = []
        let byteIds = vocabulary.byteIds
        GPT2PreTokenizer.forEachPiece(text) { start, end in
            let n = end - start
            let p = base + start
            if n == 1 { out.append(byteIds[Int(p[0])]); return }
            let cacheable = n <= Self.maxCachedPieceBytes
            let hash = cacheable ? GPT2WordCache.hash(p, n) : 0
            if cacheable && cache.lookup(p, n, hash: hash, into: &out) { return }
            symbols.removeAll(keepingCapacity: true)
            for i in 0..<n { symbols.append(byteIds[Int(p[i])]) }
            merges.apply(&symbols, ranks: &ranks)
            out.append(contentsOf: symbols)
            if cacheable { cache.insert(p, n, hash: hash, ids: symbols) }
        }
        return out
    }

    /// The text of `ids`; byte sequences that are not UTF-8 become U+FFFD, ids outside the vocabulary
    /// become U+FFFD too, and end-of-text reads "<|endoftext|>".
    public func decode(_ ids: [Int32]) -> String {
        String(decoding: decodeBytes(ids), as: UTF8.self)
    }

    /// The raw bytes of `ids` (exactly the encoded bytes for ids that came from `encode`).
    public func decodeBytes(_ ids: [Int32]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        let table = vocabulary.tokenBytes
        for id in ids {
            if id >= 0 && Int(id) < table.count {
                bytes.append(contentsOf: table[Int(id)])
            } else {
                bytes.append(contentsOf: [0xEF, 0xBF, 0xBD])
            }
        }
        return bytes
    }

    /// The raw bytes of one token, or nil for an id outside the vocabulary.
    public func tokenBytes(_ id: Int32) -> [UInt8]? {
        id >= 0 && Int(id) < vocabulary.tokenBytes.count ? vocabulary.tokenBytes[Int(id)] : nil
    }
}
