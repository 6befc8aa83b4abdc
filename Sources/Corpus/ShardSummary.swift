import Support

/// Sequences and tokens of one split of one layout in one shard, with its files.
public struct SplitCounts: Equatable, Sendable {
    public var sequences = 0
    public var tokens = 0
    /// The flat token file (nil until written).
    public var tokensFile: FileRecord?
    /// The sequence index (baselines only).
    public var indexFile: FileRecord?

    /// Zero sequences, no files yet.
    public init() {}

    /// `{"sequences", "tokens", "tokens_file", "index_file"?}`.
    public var json: JSON {
        var pairs: [(String, JSON)] = [("sequences", .int(sequences)), ("tokens", .int(tokens))]
        if let f = tokensFile { pairs.append(("tokens_file", f.json)) }
        if let f = indexFile { pairs.append(("index_file", f.json)) }
        return .object(pairs)
    }

    /// Parses the JSON form; `at` names the place for errors.
    public init(json: JSON, at: String) throws {
        guard let s = json["sequences"]?.intValue, let t = json["tokens"]?.intValue else {
            throw DDError.file(at, "expected {sequences, tokens, ...}", fix: "prepare the dataset again")
        }
        sequences = s
        tokens = t
        tokensFile = try json["tokens_file"].map { try FileRecord(json: $0, at: at + ".tokens_file") }
        indexFile = try json["index_file"].map { try FileRecord(json: $0, at: at + ".index_file") }
    }
}

/// What one preparing rank wrote: gathered by rank 0 to build the manifest.
public struct ShardSummary: Equatable, Sendable {
    public var shard: Int
    /// Documents read, of which held out.
    public var documents = 0, validDocuments = 0
    /// Tokens of all documents (end-of-text included) and bytes of text before tokenizing (0 for token corpora).
    public var tokens = 0, textBytes = 0
    /// Document count and tokens per power-of-two length bin: bin b holds lengths 2^b ..< 2^(b+1).
    public var histogramDocuments: [Int] = [], histogramTokens: [Int] = []
    /// Discarded tokens per layout group ("buckets", "concat-L", "packed-L").
    public var discarded: [(String, Int)] = []
    /// Per layout (manifest order) its train and valid counts.
    public var layouts: [(kind: LayoutKind, train: SplitCounts, valid: SplitCounts)] = []

    /// An empty summary of shard `shard`.
    public init(shard: Int) { self.shard = shard }

    public static func == (a: ShardSummary, b: ShardSummary) -> Bool { a.json == b.json }

    /// Counts a document of `length` tokens in the histogram.
    public mutating func recordLength(_ length: Int) {
        let bin = length <= 1 ? 0 : Decomposer.floorLog2(length)
        while histogramDocuments.count <= bin { histogramDocuments.append(0); histogramTokens.append(0) }
        histogramDocuments[bin] += 1
        histogramTokens[bin] += length
    }

    /// The JSON form sent to rank 0.
    public var json: JSON {
        .obj([
            "shard": .int(shard), "documents": .int(documents), "valid_documents": .int(validDocuments),
            "tokens": .int(tokens), "text_bytes": .int(textBytes),
            "histogram_documents": .ints(histogramDocuments), "histogram_tokens": .ints(histogramTokens),
            "discarded": .object(discarded.map { ($0.0, .int($0.1)) }),
            "layouts": .array(layouts.map {
                .obj(["kind": .string($0.kind.kindName), "parameter": .int($0.kind.parameter), "train": $0.train.json, "valid": $0.valid.json])
            }),
        ])
    }

    /// Parses the JSON form.
    public init(json j: JSON) throws {
        let at = "shard summary"
        func int(_ k: String) throws -> Int {
            guard let v = j[k]?.intValue else { throw DDError("\(at): missing \"\(k)\" (fix: run every rank with the same ddtrain build)") }
            return v
        }
        shard = try int("shard")
        documents = try int("documents"); validDocuments = try int("valid_documents")
        tokens = try int("tokens"); textBytes = try int("text_bytes")
        histogramDocuments = (j["histogram_documents"]?.arrayValue ?? []).compactMap(\.intValue)
        histogramTokens = (j["histogram_tokens"]?.arrayValue ?? []).compactMap(\.intValue)
        discarded = (j["discarded"]?.objectValue ?? []).map { ($0.0, $0.1.intValue ?? 0) }
        layouts = try (j["layouts"]?.arrayValue ?? []).map { l in
            guard let kn = l["kind"]?.stringValue, let p = l["parameter"]?.intValue, let kind = LayoutKind(kind: kn, parameter: p),
                  let tr = l["train"], let va = l["valid"] else { throw DDError("\(at): malformed layout entry (fix: prepare again)") }
            return (kind, try SplitCounts(json: tr, at: at), try SplitCounts(json: va, at: at))
        }
    }
}
