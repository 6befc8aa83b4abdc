import Support

/// The counts the planner needs about one layout of a prepared dataset, independent of how it is stored.
///
/// Only training sequences are counted: held-out (validation) sequences are absent, so the plan never
/// names them. Shard s is the s-th preparing rank; at training with N ranks its owner is rank s % N.
public struct LayoutCounts: Equatable, Sendable {
    /// Bucket k, or a baseline layout at length L.
    public var kind: LayoutKind
    /// Tokens stored per sequence (2^k + 1 for reference pieces: one extra token gives the last target).
    public var tokensPerSequence: Int
    /// Positions trained per sequence (the kind's rule: 2^k for bucket k, L for baselines): the length the cost model sees.
    public var trainedLength: Int { kind.trainedLength }
    /// Training sequences in each shard.
    public var trainCounts: [Int]

    /// A layout description; see the fields for the meaning of each value.
    public init(kind: LayoutKind, tokensPerSequence: Int, trainCounts: [Int]) {
        self.kind = kind
        self.tokensPerSequence = tokensPerSequence
        self.trainCounts = trainCounts
    }

    /// Training sequences over all shards.
    public var totalSequences: Int { trainCounts.reduce(0, +) }

    /// Trained tokens over all shards.
    public var totalTrainedTokens: Int { totalSequences * trainedLength }

    /// The layout as JSON (the format `plan --counts` reads).
    public func toJSON() -> JSON {
        .obj(["kind": .string(kind.description), "tokens_per_sequence": .int(tokensPerSequence),
              "trained_length": .int(trainedLength), "train_counts": .ints(trainCounts)])
    }

    /// Reads one layout written by `toJSON()`; `where` names the source for error messages.
    public static func parse(_ json: JSON, where source: String) throws -> LayoutCounts {
        let r = try ConfigReader(json, path: source)
        let name = try r.string("kind")
        guard let kind = LayoutKind(name: name) else {
            throw DDError.config(r.keyPath("kind"), "unknown layout \"\(name)\"", fix: "use bucketK, concatL or packedL, e.g. bucket8")
        }
        let trained = try r.int("trained_length", default: kind.trainedLength, min: 1)
        guard trained == kind.trainedLength else {
            throw DDError.config(r.keyPath("trained_length"), "is \(trained) but a \(kind) layout trains \(kind.trainedLength) positions",
                                 fix: "drop trained_length or set it to \(kind.trainedLength)")
        }
        let stored = try r.int("tokens_per_sequence", default: trained + 1, min: 1)
        let counts = try r.intArray("train_counts")
        if let bad = counts.firstIndex(where: { $0 < 0 }) {
            throw DDError.config(r.keyPath("train_counts[\(bad)]"), "negative count \(counts[bad])", fix: "counts are numbers of sequences, >= 0")
        }
        try r.finish()
        return LayoutCounts(kind: kind, tokensPerSequence: stored, trainCounts: counts)
    }
}

/// One training sequence of the prepared data: which shard, which layout (an index into the planner's
/// layouts), which sequence in that shard, and how many positions it trains.
public struct SequenceRef: Hashable, Sendable, CustomStringConvertible {
    /// The preparing rank that stored it; its owner at training time is shard % worldSize.
    public var shard: Int
    /// Index into the `layouts` array the planner was built with.
    public var layout: Int
    /// Index of the sequence inside (shard, layout, train split).
    public var index: Int
    /// Positions trained (the layout's trainedLength).
    public var length: Int

    /// A reference to sequence `index` of `layout` in `shard`.
    public init(shard: Int, layout: Int, index: Int, length: Int) {
        self.shard = shard
        self.layout = layout
        self.index = index
        self.length = length
    }

    /// The rank that holds this sequence's tokens in a world of `worldSize` ranks.
    @inline(__always) public func owner(worldSize: Int) -> Int { shard % worldSize }

    public var description: String { "(shard \(shard), layout \(layout), #\(index), len \(length))" }
}
