import Support

/// The name, vocabulary size and end-of-text id of a tokenizer: what the manifest records and what token
/// corpora need (they are already tokenized, so the tokenizer's files are not loaded for them).
public struct TokenizerInfo: Equatable, Sendable {
    public let name: String
    public let vocabularySize: Int
    public let endOfText: Int32

    /// A description from its parts.
    public init(name: String, vocabularySize: Int, endOfText: Int32) {
        self.name = name
        self.vocabularySize = vocabularySize
        self.endOfText = endOfText
    }

    /// The description of a tokenizer instance.
    public init(_ t: Tokenizer) { self.init(name: t.name, vocabularySize: t.vocabularySize, endOfText: t.endOfText) }

    /// The tokenizers this build knows by name: "byte" (257 ids, end-of-text 256) and "gpt2" (50,257, 50256).
    public static func known(_ name: String) -> TokenizerInfo? {
        switch name {
        case "byte": return TokenizerInfo(name: "byte", vocabularySize: 257, endOfText: 256)
        case "gpt2": return TokenizerInfo(name: "gpt2", vocabularySize: 50_257, endOfText: 50_256)
        default: return nil
        }
    }

    /// Loads the tokenizer itself (GPT-2 reads encoder.json and vocab.bpe from `directory`).
    public static func load(_ name: String, directory: String) throws -> Tokenizer {
        switch name {
        case "byte": return ByteTokenizer()
        case "gpt2": return try GPT2Tokenizer(directory: directory)
        default: throw DDError.config("data.tokenizer", "unknown tokenizer \"\(name)\"", fix: "use \"byte\" or \"gpt2\"")
        }
    }
}

/// Everything `prepare` needs: the config section "data" (also settable by flags).
public struct PrepareSettings: Sendable, Equatable {
    /// Output folder of the prepared dataset (also where training reads it).
    public var directory = "data/prepared"
    /// Files and folders of the raw corpus.
    public var sources = ["assets/corpus/default.jsonl.gz"]
    public var format = SourceFormat.auto
    /// JSON Lines key holding the text.
    public var textField = "text"
    /// "byte" or "gpt2".
    public var tokenizer = "byte"
    /// Folder of GPT-2's encoder.json and vocab.bpe.
    public var tokenizerDirectory = "assets/gpt2"
    public var decomposition = DecompositionConfig()
    /// Share of documents held out for validation (chosen by a hash of (seed, document id)).
    public var validFraction = 0.01
    /// Trained lengths L of the concat-and-chunk and packing baselines to build as well.
    public var baselines: [Int] = []

    /// Settings with every default.
    public init() {}

    /// The defaults of a config's data section and of `prepare`'s flags: those of configs/default.json, so data
    /// prepared without a config is what the shipped configs expect (a test keeps the two equal).
    public static let configDefaults = (minBucket: 6, maxBucket: 10, validFraction: 0.02, baselines: [1024])

    /// Reads section "data" strictly (unknown keys are errors).
    public static func parse(_ r: ConfigReader) throws -> PrepareSettings {
        var s = PrepareSettings()
        s.directory = try r.string("dir", default: s.directory)
        s.sources = try r.stringArray("sources", default: s.sources)
        s.format = SourceFormat(rawValue: try r.choice("format", SourceFormat.allCases.map(\.rawValue), default: "auto"))!
        s.textField = try r.string("text_field", default: s.textField)
        s.tokenizer = try r.choice("tokenizer", ["byte", "gpt2"], default: s.tokenizer)
        s.tokenizerDirectory = try r.string("tokenizer_dir", default: s.tokenizerDirectory)
        let d = configDefaults
        s.decomposition.minBucket = try r.int("min_bucket", default: d.minBucket, min: 1, max: 30)
        s.decomposition.maxBucket = try r.int("max_bucket", default: d.maxBucket, min: 1, max: 30)
        s.decomposition.pieces = PieceMode(rawValue: try r.choice("pieces", PieceMode.allCases.map(\.rawValue), default: "reference"))!
        s.decomposition.longDocuments = LongDocumentRule(rawValue: try r.choice("long_docs", LongDocumentRule.allCases.map(\.rawValue), default: "seeded"))!
        s.decomposition.seed = UInt64(try r.int("seed", default: 0, min: 0))
        s.validFraction = try r.double("valid_fraction", default: d.validFraction, min: 0, max: 0.5)
        s.baselines = try r.intArray("baselines", default: d.baselines)
        try r.finish()
        try s.validate()
        return s
    }

    /// Checks relations between settings; errors name the config key.
    public func validate() throws {
        let d = decomposition
        guard d.minBucket >= 1, d.maxBucket <= 30, d.minBucket <= d.maxBucket else {
            throw DDError.config("data.min_bucket", "min_bucket \(d.minBucket) must be in 1...max_bucket (\(d.maxBucket)) and max_bucket ≤ 30",
                                 fix: "choose 1 ≤ min_bucket ≤ max_bucket ≤ 30")
        }
        for (i, l) in baselines.enumerated() where l < 1 || l > 1 << 30 {
            throw DDError.config("data.baselines[\(i)]", "length \(l) is out of range", fix: "use lengths in 1...\(1 << 30)")
        }
        guard Set(baselines).count == baselines.count else {
            throw DDError.config("data.baselines", "repeated length", fix: "list each length once")
        }
        guard !sources.isEmpty else { throw DDError.config("data.sources", "no source given", fix: "name at least one file or folder") }
        guard validFraction >= 0, validFraction <= 0.5 else {
            throw DDError.config("data.valid_fraction", "\(validFraction) is outside 0...0.5", fix: "use e.g. 0.01")
        }
    }

    /// The layouts a dataset prepared with these settings holds, in manifest order.
    public var layoutKinds: [LayoutKind] {
        (decomposition.minBucket...decomposition.maxBucket).map { LayoutKind.bucket($0) }
            + baselines.flatMap { [LayoutKind.concat($0), LayoutKind.packed($0)] }
    }

    /// Whether document `id` is held out: a hash of (seed, id) below the validation fraction. Whole documents
    /// are held out, so no piece of a validation document is trained on, and the choice ignores the world size.
    public func isValidation(documentID id: Int) -> Bool {
        guard validFraction > 0 else { return false }
        let h = SplitMix64.derive(decomposition.seed, 0x7661_6c69_64, UInt64(id))
        return Double(h >> 11) * 0x1.0p-53 < validFraction
    }

    /// The settings as the manifest records them.
    public var json: JSON {
        .obj([
            "sources": .array(sources.map { .string($0) }), "format": .string(format.rawValue), "text_field": .string(textField),
            "tokenizer": .string(tokenizer), "min_bucket": .int(decomposition.minBucket), "max_bucket": .int(decomposition.maxBucket),
            "pieces": .string(decomposition.pieces.rawValue), "long_docs": .string(decomposition.longDocuments.rawValue),
            "seed": .int(Int(decomposition.seed)), "valid_fraction": .number(validFraction), "baselines": .ints(baselines),
        ])
    }
}
