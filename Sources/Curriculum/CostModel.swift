import Support

/// Predicted compute cost of one sequence of l trained positions: α·l + β·l² (method.md §5: linear layers
/// cost ∝ l, causal attention ∝ l²). Units are arbitrary; only ratios between ranks matter.
public struct CostModel: Equatable, Sendable {
    /// Cost per position (matmuls, norms, embeddings).
    public var alpha: Double
    /// Cost per position pair (attention).
    public var beta: Double

    /// A model with the given coefficients.
    public init(alpha: Double, beta: Double) {
        self.alpha = alpha
        self.beta = beta
    }

    /// The cost of one sequence of length `l`.
    @inline(__always) public func cost(_ l: Int) -> Double {
        let x = Double(l)
        return alpha * x + beta * x * x
    }

    /// Fits α and β by least squares to measured times of steps made of equal sequences.
    ///
    /// Sample j ran `sequences[j]` sequences of length `lengths[j]` in `seconds[j]`. The time per position is
    /// α + β·l, a straight line in l, so this is an ordinary linear regression of seconds/positions on l
    /// (weighted by positions so long samples count as much as the time they measure). Needs at least two
    /// distinct lengths. A negative fitted coefficient (noise) is clamped to zero and the other refitted.
    public static func fit(lengths: [Int], sequences: [Int], seconds: [Double]) throws -> CostModel {
        guard lengths.count == sequences.count, lengths.count == seconds.count, !lengths.isEmpty else {
            throw DDError("calibration: \(lengths.count) lengths, \(sequences.count) counts and \(seconds.count) times (fix: give one of each per sample)")
        }
        guard Set(lengths).count >= 2 else {
            throw DDError("calibration: all samples have length \(lengths[0]), so α and β cannot be separated (fix: time at least two different lengths)")
        }
        for j in lengths.indices where !(lengths[j] > 0 && sequences[j] > 0 && seconds[j] > 0 && seconds[j].isFinite) {
            throw DDError("calibration: sample \(j) (length \(lengths[j]), \(sequences[j]) sequences, \(seconds[j]) s) is not positive (fix: re-run the timing)")
        }
        var sw = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0
        for j in lengths.indices {
            let positions = Double(lengths[j] * sequences[j])
            let x = Double(lengths[j]), y = seconds[j] / positions, w = positions
            sw += w; sx += w * x; sy += w * y; sxx += w * x * x; sxy += w * x * y
        }
        let det = sw * sxx - sx * sx
        var beta = (sw * sxy - sx * sy) / det
        var alpha = (sy - beta * sx) / sw
        if beta < 0 { beta = 0; alpha = sy / sw }
        if alpha < 0 { alpha = 0; beta = sxy / sxx }
        return CostModel(alpha: alpha, beta: beta)
    }
}
