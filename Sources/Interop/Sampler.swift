import Support
import Transformer
#if canImport(Glibc)
import Glibc
#endif

/// Text generation from a model: greedy (temperature 0: the arg-max, lowest id on ties) or sampling from
/// softmax(logits / temperature) with a seeded Xoshiro256, one token at a time. Each step runs the model over the
/// whole context (no key/value cache: the models trained here are small, and this reuses the training forward
/// pass unchanged); when the context outgrows the model's arena only its most recent tokens are kept.
public struct Sampler {
    public let model: Model
    /// 0 for greedy decoding.
    public let temperature: Double
    var rng: Xoshiro256

    /// A sampler over `model`; `seed` fixes the draws of temperature sampling.
    public init(model: Model, temperature: Double, seed: UInt64) throws {
        guard temperature >= 0, temperature.isFinite else {
            throw DDError.usage("sample: temperature \(temperature) must be a finite number >= 0 (fix: 0 for greedy, e.g. 0.8 to sample)")
        }
        self.model = model
        self.temperature = temperature
        rng = Xoshiro256(seed: seed)
    }

    /// `count` new token ids following `prompt` (which must not be empty).
    public mutating func generate(prompt: [Int32], count: Int) throws -> [Int32] {
        guard !prompt.isEmpty else { throw DDError.usage("sample: the prompt has no tokens (fix: give a prompt or start from end-of-text)") }
        var context = prompt
        var out: [Int32] = []
        let V = model.config.vocab
        for _ in 0..<count {
            if context.count > model.maxTokens { context.removeFirst(context.count - model.maxTokens) }
            let T = context.count
            let batch = PackedBatch(tokens: context, targets: [Int32](repeating: -1, count: T),
                                    positions: (0..<T).map { Int32($0) }, segmentStarts: [0, T])
            let logits = try model.logits(batch)
            let next = pick(logits[(T - 1) * V ..< T * V])
            out.append(next)
            context.append(next)
        }
        return out
    }

    /// The next id from one row of logits.
    public mutating func pick(_ logits: ArraySlice<Float>) -> Int32 {
        let base = logits.startIndex
        var best = base
        for i in logits.indices where logits[i] > logits[best] { best = i }
        guard temperature > 0 else { return Int32(best - base) }
        // Shift by the maximum so exp never overflows; Double sums keep the tail of a large vocabulary.
        let top = Double(logits[best])
        var weights = [Double](repeating: 0, count: logits.count)
        var total = 0.0
        for (j, i) in logits.indices.enumerated() {
            weights[j] = Glibc.exp((Double(logits[i]) - top) / temperature)
            total += weights[j]
        }
        let u = rng.nextDouble() * total
        var cumulative = 0.0
        for (j, w) in weights.enumerated() {
            cumulative += w
            if u < cumulative { return Int32(j) }
        }
        return Int32(best - base) // u landed on the rounding slack at the very end
    }
}
