import Support
import Testing
@testable import Transformer

@Suite struct TrainingTests {
    /// A small model must memorise one small batch: the mean loss falls from ~ln(vocab) to below 0.05 per token.
    @Test func overfitsOneBatch() throws {
        let c = tinyConfig(layers: 2, dim: 32, heads: 4, vocab: 16)
        let batch = randomBatch(lengths: [24, 16], vocab: 16, seed: 21, dropTargets: false)
        let m = try Model(config: c, maxTokens: batch.count, seed: 5)
        let opt = AdamWOptimizer(layout: m.layout, config: AdamWConfig(weightDecay: 0))
        var first = 0.0, last = 0.0
        for step in 0..<300 {
            let l = try m.forwardBackward(batch, zLoss: 0)
            if step == 0 { first = l.mean }
            last = l.mean
            if last < 0.02 { break }
            try opt.step(params: m.params, grads: m.grads, lr: 1e-2, gradScale: 1 / Float(l.count))
        }
        #expect(abs(first - 2.7726) < 0.1, "initial loss \(first) should be near ln 16")
        #expect(last < 0.05, "loss after training \(last)")
    }

    /// Initialisation: reproducible from the seed; matrices have std init_std, residual outputs init_std/sqrt(2L),
    /// norm gains are 1 (checked with sample statistics, not against the code's own numbers).
    @Test func seededInitialisation() throws {
        let c = tinyConfig(layers: 4, dim: 64, heads: 4, vocab: 300, initStd: 0.05)
        let a = try Model(config: c, maxTokens: 4, seed: 77), b = try Model(config: c, maxTokens: 4, seed: 77)
        let d = try Model(config: c, maxTokens: 4, seed: 78)
        #expect(Array(a.params) == Array(b.params))
        #expect(Array(a.params) != Array(d.params))
        func std(_ name: String) -> Double {
            let t = a.layout.tensor(name)!
            let xs = a.params[t.range].map(Double.init)
            let mean = xs.reduce(0, +) / Double(xs.count)
            return (xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(xs.count)).squareRoot()
        }
        // 4096+ samples per matrix: the sample std is within 5% of the true one with overwhelming probability.
        for name in ["embedding", "layers.0.wq", "layers.3.wv", "layers.1.w_gate", "lm_head"] {
            #expect(abs(std(name) / 0.05 - 1) < 0.05, "\(name) std \(std(name))")
        }
        for name in ["layers.0.wo", "layers.2.w_down"] {
            #expect(abs(std(name) / (0.05 / 8.0.squareRoot()) - 1) < 0.05, "\(name) std \(std(name))")
        }
        for t in a.layout.tensors where t.shape.count == 1 { #expect(a.params[t.range].allSatisfy { $0 == 1 }) }
    }

    /// Training FLOPs against a count made from the layout: 2 FLOPs per weight per token for every matrix that
    /// multiplies activations (embedding gather excluded, the tied table counted once as lm_head), plus causal
    /// attention summed row by row; all times 3 for forward + backward.
    @Test(arguments: [false, true])
    func trainingFLOPsMatchCount(tied: Bool) {
        let c = tinyConfig(layers: 3, dim: 48, heads: 6, vocab: 101, mlp: tied ? .gelu : .swiglu, tied: tied)
        let layout = ParameterLayout(config: c)
        var weights = 0
        for t in layout.tensors where t.shape.count == 2 && t.name != "embedding" { weights += t.count }
        if tied { weights += 101 * 48 }
        let lengths = [1, 5, 64]
        var attn = 0.0
        for l in lengths {
            for row in 0..<l { attn += 2 * 2 * Double(row + 1) * 48 }  // QKᵀ and PV over row+1 keys
        }
        let expected = 3 * (Double(70 * 2 * weights) + 3 * attn)
        let got = c.trainingFLOPs(segmentLengths: lengths)
        #expect(abs(got - expected) <= 1e-9 * expected)
    }
}

/// Memory is O(T): the arena for 8× the tokens is 8× the size (no l² term anywhere), so one 8,192-token sequence
/// costs what eight 1,024-token sequences cost. Checked on the arena bytes of models built for 512 and 4,096 tokens.
@Suite struct MemoryTests {
    @Test func arenaGrowsLinearlyWithTokens() throws {
        let c = tinyConfig(layers: 2, dim: 64, heads: 4, vocab: 50, qkNorm: true)
        let small = try Model(config: c, maxTokens: 512, seed: 1), large = try Model(config: c, maxTokens: 4096, seed: 1)
        let paramBytes = 8 * small.layout.count
        let a = Double(small.allocatedBytes - paramBytes), b = Double(large.allocatedBytes - paramBytes)
        #expect(b / a <= 8.0 + 1e-9, "arena ratio \(b / a) for 8x tokens")
        #expect(b / a >= 7.5, "arena ratio \(b / a): expected activations to dominate")
    }
}
