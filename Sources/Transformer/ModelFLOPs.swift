// Model FLOPs of one training step (the usual "model FLOPs": recomputation in backward is not counted).
extension ModelConfig {
    /// Forward FLOPs per token of every matmul: 2·m·n·k, i.e. 2 × (weights touched) per token, embedding gather excluded.
    public var matmulFLOPsPerToken: Double {
        let C = Double(dim), F = Double(hidden), V = Double(vocab)
        let mlpMatrices: Double = mlp == .swiglu ? 3 : 2
        return Double(layers) * 2 * (4 * C * C + mlpMatrices * C * F) + 2 * C * V
    }

    /// Forward + backward FLOPs of a step over sequences of the given lengths. Backward counts twice forward. Causal
    /// attention per layer and sequence of length l: QKᵀ and PV each 2·(l(l+1)/2)·dim.
    public func trainingFLOPs(segmentLengths: [Int]) -> Double {
        var tokens = 0.0, attention = 0.0
        for l in segmentLengths {
            let x = Double(l)
            tokens += x
            attention += 2 * 2 * (x * (x + 1) / 2) * Double(dim)
        }
        return 3 * (tokens * matmulFLOPsPerToken + Double(layers) * attention)
    }
}

extension Model {
    /// Forward + backward FLOPs of a step over sequences of these lengths (see `ModelConfig.trainingFLOPs`).
    public func trainingFLOPs(segmentLengths: [Int]) -> Double { config.trainingFLOPs(segmentLengths: segmentLengths) }
}
