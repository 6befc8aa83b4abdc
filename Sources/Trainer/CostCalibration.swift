import Comm
import Curriculum
import Support
import Transformer

/// Times forward+backward of a model at several sequence lengths and fits the balancer's cost model
/// α·l + β·l² (`CostModel.fit`), for `ddtrain calibrate` and for runs with `curriculum.balance.calibrate`.
public enum CostCalibration {
    /// Random sequences of the given lengths laid end to end, each with a target per token.
    public static func randomBatch(lengths: [Int], vocab: Int, seed: UInt64) -> PackedBatch {
        var rng = Xoshiro256(seed: seed)
        return PackedBatch(sequences: lengths.map { l in
            let ids = (0...l).map { _ in Int32(rng.nextInt(below: vocab)) }
            return (Array(ids.dropLast()), Array(ids.dropFirst()))
        })
    }

    /// The fastest of `repeats` timed forward+backward passes over `batch` (after one untimed warm-up).
    /// Overwrites the model's gradients; parameters are untouched.
    public static func time(_ model: Model, _ batch: PackedBatch, repeats: Int) throws -> Double {
        guard batch.count > 0 else { return 0 }
        _ = try model.forwardBackward(batch)
        var best = Double.infinity
        for _ in 0..<max(1, repeats) {
            let t0 = monotonicSeconds()
            _ = try model.forwardBackward(batch)
            best = min(best, monotonicSeconds() - t0)
        }
        return best
    }

    /// Times steps of `tokens` tokens made of equal sequences of each length (tokens ≤ the model's maxTokens)
    /// and fits α, β in seconds per position and per position pair. Returns the fit and the measured seconds.
    public static func measure(_ model: Model, lengths: [Int], tokens: Int, repeats: Int) throws -> (CostModel, [Double]) {
        var seconds: [Double] = []
        for (j, l) in lengths.enumerated() {
            let batch = randomBatch(lengths: [Int](repeating: l, count: max(1, tokens / l)), vocab: model.config.vocab, seed: UInt64(100 + j))
            seconds.append(try time(model, batch, repeats: repeats))
        }
        let fit = try CostModel.fit(lengths: lengths, sequences: lengths.map { max(1, tokens / $0) }, seconds: seconds)
        return (fit, seconds)
    }

    /// `measure` on every rank, then the mean of the ranks' α and β, so every rank partitions with the same
    /// model (one allreduce; every rank must call it).
    public static func agreed(_ model: Model, comm: Communicator, lengths: [Int], tokens: Int, repeats: Int) throws -> CostModel {
        let (fit, _) = try measure(model, lengths: lengths, tokens: tokens, repeats: repeats)
        var v = [fit.alpha, fit.beta]
        try comm.allreduce(&v, op: .sum)
        return CostModel(alpha: v[0] / Double(comm.size), beta: v[1] / Double(comm.size))
    }
}
