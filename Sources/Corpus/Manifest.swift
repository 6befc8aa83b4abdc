import Support

/// Counts of one shard of a layout.
public struct ShardCounts: Equatable, Sendable {
    public let train: SplitCounts
    public let valid: SplitCounts

    /// The counts of `split`.
    public func counts(_ split: Split) -> SplitCounts { split == .train ? train : valid }
}

/// A plain description of one layout for the curriculum and the trainer.
public struct LayoutInfo: Equatable, Sendable {
    public let kind: LayoutKind
    /// Tokens stored per sequence (bucket: 2^k + 1 or 2^k; concat: L + 1; packed: at most L + 1).
    public let tokensPerSequence: Int
    /// Positions the model sees per sequence: 2^k for a bucket, L for a baseline (the kind's rule).
    public var trainedLength: Int { kind.trainedLength }
    /// Per shard (= preparing rank) its train and validation counts.
    public let shards: [ShardCounts]

    /// "bucket-08", "concat-1024", "packed-1024".
    public var name: String { kind.name }
    /// Training sequences per shard.
    public var trainCounts: [Int] { shards.map(\.train.sequences) }
    /// Held-out sequences per shard.
    public var validCounts: [Int] { shards.map(\.valid.sequences) }
    /// Training tokens per shard.
    public var trainTokens: [Int] { shards.map(\.train.tokens) }
    /// Whether every sequence has the same number of tokens (packed bins do not).
    public var fixedLength: Bool { if case .packed = kind { return false }; return true }
}

/// The manifest.json of a prepared dataset: how it was made, what it holds and the checksum of every file.
public struct Manifest: Sendable {
    /// Version of the folder format this build reads and writes.
    public static let formatVersion = 1
    /// File name inside the dataset folder.
    public static let fileName = "manifest.json"

    public let tokenizer: TokenizerInfo
    public let tokenDType: TokenDType
    public let pieces: PieceMode
    public let minBucket: Int, maxBucket: Int
    public let seed: UInt64
    public let validFraction: Double
    /// Number of shards (= ranks that prepared it).
    public let shardCount: Int
    public let layouts: [LayoutInfo]
    /// Documents, held-out documents, tokens (end-of-text included) and text bytes.
    public let documents: Int, validDocuments: Int, tokens: Int, textBytes: Int
    /// Documents and tokens per power-of-two length bin (bin b: lengths 2^b ..< 2^(b+1)).
    public let histogramDocuments: [Int], histogramTokens: [Int]
    /// Discarded tokens per layout group ("buckets", "concat-L", "packed-L").
    public let discarded: [(String, Int)]
    /// Every data file with its size and SHA-256.
    public let files: [FileRecord]
    /// The command line that made it.
    public let command: String
    /// The whole manifest as JSON (including the prepare settings).
    public let json: JSON

    /// The layout called `name`, if present.
    public func layout(named name: String) -> LayoutInfo? { layouts.first { $0.name == name } }

    /// Parses a manifest; `path` names it in errors.
    public init(json j: JSON, path: String) throws {
        let fix = "prepare the dataset again with this version of ddtrain"
        func need<T>(_ v: T?, _ key: String) throws -> T {
            guard let v else { throw DDError.file(path, "missing or malformed field \"\(key)\"", fix: fix) }
            return v
        }
        guard j["format"]?.stringValue == "ddtrain-dataset" else { throw DDError.file(path, "not a ddtrain dataset manifest (field \"format\")", fix: fix) }
        let version = try need(j["version"]?.intValue, "version")
        guard version == Manifest.formatVersion else {
            throw DDError.file(path, "format version \(version), this build reads \(Manifest.formatVersion)", fix: fix)
        }
        let t = try need(j["tokenizer"], "tokenizer")
        tokenizer = TokenizerInfo(name: try need(t["name"]?.stringValue, "tokenizer.name"),
                                  vocabularySize: try need(t["vocab_size"]?.intValue, "tokenizer.vocab_size"),
                                  endOfText: Int32(truncatingIfNeeded: try need(t["eot"]?.intValue, "tokenizer.eot")))
        // A tokenizer this build knows must have its own vocabulary: anything else was edited or made elsewhere.
        if let known = TokenizerInfo.known(tokenizer.name), known != tokenizer {
            throw DDError.file(path, "tokenizer \"\(tokenizer.name)\" with \(tokenizer.vocabularySize) ids and end-of-text \(tokenizer.endOfText), "
                               + "but \(known.name) has \(known.vocabularySize) ids and end-of-text \(known.endOfText)", fix: fix)
        }
        tokenDType = try need(j["token_dtype"]?.stringValue.flatMap(TokenDType.init(rawValue:)), "token_dtype")
        pieces = try need(j["pieces"]?.stringValue.flatMap(PieceMode.init(rawValue:)), "pieces")
        minBucket = try need(j["min_bucket"]?.intValue, "min_bucket")
        maxBucket = try need(j["max_bucket"]?.intValue, "max_bucket")
        seed = UInt64(try need(j["seed"]?.intValue, "seed"))
        validFraction = try need(j["valid_fraction"]?.doubleValue, "valid_fraction")
        shardCount = try need(j["shards"]?.intValue, "shards")
        let d = try need(j["documents"], "documents")
        documents = try need(d["count"]?.intValue, "documents.count")
        validDocuments = try need(d["valid"]?.intValue, "documents.valid")
        tokens = try need(d["tokens"]?.intValue, "documents.tokens")
        textBytes = try need(d["text_bytes"]?.intValue, "documents.text_bytes")
        let hist = try need(d["histogram"]?.arrayValue, "documents.histogram")
        histogramDocuments = try hist.map { try need($0["documents"]?.intValue, "documents.histogram[].documents") }
        histogramTokens = try hist.map { try need($0["tokens"]?.intValue, "documents.histogram[].tokens") }
        discarded = try need(j["discarded_tokens"]?.objectValue, "discarded_tokens").map { ($0.0, $0.1.intValue ?? 0) }
        files = try need(j["files"]?.arrayValue, "files").enumerated().map { try FileRecord(json: $1, at: "\(path): files[\($0)]") }
        command = j["command"]?.stringValue ?? ""
        var ls: [LayoutInfo] = []
        for (n, l) in try need(j["layouts"]?.arrayValue, "layouts").enumerated() {
            let at = "\(path): layouts[\(n)]"
            let kind = try need(LayoutKind(kind: l["kind"]?.stringValue ?? "", parameter: l["parameter"]?.intValue ?? -1), "layouts[\(n)].kind")
            let shards = try need(l["shards"]?.arrayValue, "layouts[\(n)].shards").enumerated().map { s, v in
                ShardCounts(train: try SplitCounts(json: try need(v["train"], "train"), at: "\(at).shards[\(s)].train"),
                            valid: try SplitCounts(json: try need(v["valid"], "valid"), at: "\(at).shards[\(s)].valid"))
            }
            guard shards.count == shardCount else { throw DDError.file(path, "layout \(kind.name) lists \(shards.count) shards, the manifest says \(shardCount)", fix: fix) }
            let trained = try need(l["trained_length"]?.intValue, "trained_length")
            guard trained == kind.trainedLength else {
                throw DDError.file(path, "layout \(kind.name) says trained_length \(trained), but it trains \(kind.trainedLength) positions", fix: fix)
            }
            ls.append(LayoutInfo(kind: kind, tokensPerSequence: try need(l["tokens_per_sequence"]?.intValue, "tokens_per_sequence"),
                                 shards: shards))
        }
        layouts = ls
        json = j
    }

    /// Reads `DIR/manifest.json`.
    public static func read(directory: String) throws -> Manifest {
        let path = directory + "/" + fileName
        guard FileIO.exists(path) else {
            throw DDError.file(directory, "no \(fileName): not a prepared dataset, or its prepare did not finish",
                               fix: "run 'ddtrain prepare' for this folder")
        }
        return try Manifest(json: try FileIO.readJSON(path), path: path)
    }
}
