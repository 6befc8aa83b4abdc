import Support

/// Sequences of any lengths laid end to end: attention is causal within each segment, positions feed RoPE.
public struct PackedBatch: Equatable, Sendable {
    public var tokens: [Int32]
    /// Next-token targets; -1 marks a token with no target (it adds nothing to the loss).
    public var targets: [Int32]
    public var positions: [Int32]
    /// Segment boundaries: count + 1 entries, first 0, last = tokens.count, strictly increasing.
    public var segmentStarts: [Int]

    /// A batch from explicit arrays (check it with `validate(vocab:maxTokens:)`).
    public init(tokens: [Int32], targets: [Int32], positions: [Int32], segmentStarts: [Int]) {
        self.tokens = tokens
        self.targets = targets
        self.positions = positions
        self.segmentStarts = segmentStarts
    }

    /// A batch of whole sequences given as (inputs, targets) pairs; positions restart at 0 in each.
    public init(sequences: [(tokens: [Int32], targets: [Int32])]) {
        tokens = []; targets = []; positions = []; segmentStarts = [0]
        for s in sequences {
            tokens += s.tokens
            targets += s.targets
            positions += (0..<s.tokens.count).map { Int32($0) }
            segmentStarts.append(tokens.count)
        }
    }

    /// Tokens in the batch.
    public var count: Int { tokens.count }

    /// Length of every segment.
    public var segmentLengths: [Int] { zip(segmentStarts.dropFirst(), segmentStarts).map { $0 - $1 } }

    /// Throws a one-line error when arrays disagree in length, ids fall outside the vocabulary or segments are malformed.
    public func validate(vocab: Int, maxTokens: Int) throws {
        let T = tokens.count
        guard targets.count == T, positions.count == T else {
            throw DDError("PackedBatch: tokens (\(T)), targets (\(targets.count)) and positions (\(positions.count)) differ in length (fix: give one target and one position per token)")
        }
        guard T <= maxTokens else {
            throw DDError("PackedBatch: \(T) tokens exceed the model's maxTokens \(maxTokens) (fix: build the Model with maxTokens >= the largest step)")
        }
        guard segmentStarts.first == 0, segmentStarts.last == T else {
            throw DDError("PackedBatch.segmentStarts: must start at 0 and end at the token count \(T), got \(segmentStarts.prefix(3))…\(segmentStarts.suffix(2)) (fix: list every sequence's start, then the total)")
        }
        for i in 1..<segmentStarts.count where segmentStarts[i] <= segmentStarts[i - 1] {
            throw DDError("PackedBatch.segmentStarts[\(i)]: \(segmentStarts[i]) is not above \(segmentStarts[i - 1]) (fix: no empty segments; starts must increase)")
        }
        if let i = tokens.firstIndex(where: { $0 < 0 || Int($0) >= vocab }) {
            throw DDError("PackedBatch.tokens[\(i)]: id \(tokens[i]) is outside the vocabulary 0..<\(vocab) (fix: tokenize with the model's vocabulary)")
        }
        if let i = targets.firstIndex(where: { $0 < -1 || Int($0) >= vocab }) {
            throw DDError("PackedBatch.targets[\(i)]: id \(targets[i]) is outside -1..<\(vocab) (fix: use -1 for no target)")
        }
        if let i = positions.firstIndex(where: { $0 < 0 }) {
            throw DDError("PackedBatch.positions[\(i)]: \(positions[i]) is negative (fix: positions count from 0 in each sequence)")
        }
    }
}
