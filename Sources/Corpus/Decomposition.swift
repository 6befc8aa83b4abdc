import Support

/// How a document is cut into power-of-two pieces (method.md §2).
public enum PieceMode: String, Sendable, CaseIterable {
    /// The reference code's rule: a piece of bucket k holds 2^k + 1 tokens (2^k input/target pairs).
    case reference
    /// Pieces of exactly 2^k tokens (the last token of a piece has no target), as in OLMo-core.
    case exact

    /// Tokens stored per piece of bucket k.
    public func tokensPerPiece(_ k: Int) -> Int { self == .reference ? (1 << k) + 1 : 1 << k }
}

/// Which bucket a piece of over-long content goes to (content longer than the largest bucket allows).
public enum LongDocumentRule: String, Sendable, CaseIterable {
    /// k drawn among min...max with P(k) ∝ 2^(max−k), so buckets get equal tokens in expectation; the draw is
    /// seeded by (seed, document id), hence reproducible and independent of the world size.
    case seeded
    /// Always the largest bucket.
    case max
}

/// The settings of the decomposition.
public struct DecompositionConfig: Sendable, Equatable {
    public var minBucket: Int
    public var maxBucket: Int
    public var pieces: PieceMode
    public var longDocuments: LongDocumentRule
    public var seed: UInt64

    /// Settings with the paper's defaults (buckets 8...13, reference pieces, seeded long documents).
    public init(minBucket: Int = 8, maxBucket: Int = 13, pieces: PieceMode = .reference,
                longDocuments: LongDocumentRule = .seeded, seed: UInt64 = 0) {
        self.minBucket = minBucket
        self.maxBucket = maxBucket
        self.pieces = pieces
        self.longDocuments = longDocuments
        self.seed = seed
    }
}

/// One piece of a document: the slice `start ..< start + count` of its tokens (end-of-text included), in bucket k.
public struct Piece: Equatable, Hashable, Sendable {
    /// Offset of the first token in the document.
    public let start: Int
    /// The bucket: the piece trains on sequences of length 2^bucket.
    public let bucket: Int
    /// Tokens stored (2^k + 1 for reference pieces, 2^k for exact ones).
    public let count: Int

    /// A piece of `count` tokens starting at `start`, in bucket `bucket`.
    public init(start: Int, bucket: Int, count: Int) {
        self.start = start
        self.bucket = bucket
        self.count = count
    }

    /// The trained length of its bucket (2^bucket, the layout kind's rule).
    public var trainedLength: Int { LayoutKind.bucket(bucket).trainedLength }
}

/// The pieces of one document and the tokens of its tail that no bucket takes.
public struct Decomposition: Equatable, Sendable {
    /// Pieces in document order.
    public let pieces: [Piece]
    /// Tokens left over at the end (the whole document when it is shorter than the smallest piece).
    public let discarded: Int
}

/// Cuts documents into power-of-two pieces following the reference-code loop of method.md §2.
public enum Decomposer {
    /// floor(log2(x)) for x ≥ 1.
    @inline(__always) static func floorLog2(_ x: Int) -> Int { Int.bitWidth - 1 - x.leadingZeroBitCount }

    /// The decomposition of a document of `length` tokens (end-of-text included) with global id `documentID`.
    public static func decompose(length: Int, documentID: Int, config c: DecompositionConfig) -> Decomposition {
        var pieces: [Piece] = []
        var start = 0
        var rest = length
        var rng: Xoshiro256? = nil
        let reference = c.pieces == .reference
        while reference ? rest > 1 : rest > 0 {
            // The largest k whose piece fits in what is left.
            var k = floorLog2(reference ? rest - 1 : rest)
            if k < c.minBucket { break }
            if k > c.maxBucket {
                switch c.longDocuments {
                case .max: k = c.maxBucket
                case .seeded:
                    // One generator per document, so the draws depend on (seed, id) only, not on the rank.
                    if rng == nil { rng = Xoshiro256(seed: SplitMix64.derive(c.seed, 0x6465_636f_6d70, UInt64(documentID))) }
                    k = drawLongBucket(min: c.minBucket, max: c.maxBucket, &rng!)
                }
            }
            let n = c.pieces.tokensPerPiece(k)
            pieces.append(Piece(start: start, bucket: k, count: n))
            start += n
            rest -= n
        }
        return Decomposition(pieces: pieces, discarded: rest)
    }

    /// Draws k in min...max with P(k) ∝ 2^(max−k), by integer weights (exact, no floating point).
    public static func drawLongBucket(min lo: Int, max hi: Int, _ rng: inout Xoshiro256) -> Int {
        let total = (1 << (hi - lo + 1)) - 1
        var u = rng.nextInt(below: total)
        for k in lo...hi {
            let w = 1 << (hi - k)
            if u < w { return k }
            u -= w
        }
        return hi
    }
}
