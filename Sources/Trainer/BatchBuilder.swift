import Transformer

/// One training sequence as stored: its tokens and where documents start inside it (always [0] for a bucket
/// piece, several for a concat chunk or a packed bin).
public struct StoredSequence: Equatable {
    public var tokens: [Int32]
    public var documentStarts: [Int]
    /// Positions that are trained (inputs with a next-token target).
    public var trainedLength: Int

    public init(tokens: [Int32], documentStarts: [Int] = [0], trainedLength: Int) {
        self.tokens = tokens
        self.documentStarts = documentStarts
        self.trainedLength = trainedLength
    }
}

/// Lays stored sequences end to end as the model's packed batch.
///
/// A sequence of `trainedLength + 1` tokens ("reference" pieces, concat chunks, packed bins) gives
/// `trainedLength` (input, target) pairs; one of exactly `trainedLength` tokens ("exact" pieces) gives inputs
/// for all and no target for its last token. Every sequence is its own attention segment with positions from 0;
/// with `documentMasking`, every document inside a sequence is its own segment and positions restart at its
/// start, so no token attends across documents.
public enum BatchBuilder {
    public static func build(_ sequences: [StoredSequence], documentMasking: Bool) -> PackedBatch {
        let total = sequences.reduce(0) { $0 + $1.trainedLength }
        var tokens = [Int32](), targets = [Int32](), positions = [Int32]()
        tokens.reserveCapacity(total); targets.reserveCapacity(total); positions.reserveCapacity(total)
        var starts = [0]
        for s in sequences {
            let n = s.trainedLength
            precondition(s.tokens.count == n || s.tokens.count == n + 1, "a stored sequence holds its trained length or one more token")
            tokens += s.tokens[0..<n]
            if s.tokens.count == n + 1 {
                targets += s.tokens[1...n]
            } else {
                targets += s.tokens[1..<n]
                targets.append(-1)
            }
            let base = starts.last!
            let cuts = documentMasking ? s.documentStarts.filter { $0 > 0 && $0 < n }.sorted() : []
            var segmentStart = 0, nextCut = 0
            for p in 0..<n {
                if nextCut < cuts.count, cuts[nextCut] == p { segmentStart = p; starts.append(base + p); nextCut += 1 }
                positions.append(Int32(p - segmentStart))
            }
            starts.append(base + n)
        }
        return PackedBatch(tokens: tokens, targets: targets, positions: positions, segmentStarts: starts)
    }
}
