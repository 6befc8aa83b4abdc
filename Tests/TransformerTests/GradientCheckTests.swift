import Support
import Testing
@testable import Transformer

/// Whole-model gradient against central finite differences of the loss.
///
/// The model computes in Float, so the difference quotient uses a large step h = 1e-2 on a model whose weights are
/// O(0.3) (strongly non-linear): rounding error ≈ 1e-5/(2h) ≈ 1e-3 and truncation error h²·f'''/6 of the same
/// order. Bound per sampled parameter: |fd − analytic| ≤ 3e-3 + 3e-2·|analytic|. A wrong backward (missing term,
/// wrong transpose, wrong rope direction) gives errors of the order of the gradient itself.
@Suite struct GradientCheckTests {
    struct Variant: CustomTestStringConvertible, Sendable {
        let norm: ModelConfig.Norm, mlp: ModelConfig.MLP, qkNorm: Bool, tied: Bool
        var testDescription: String { "\(norm.rawValue) \(mlp.rawValue) qk=\(qkNorm) tied=\(tied)" }
    }

    static let variants = [
        Variant(norm: .rmsnorm, mlp: .swiglu, qkNorm: true, tied: false),
        Variant(norm: .layernorm, mlp: .gelu, qkNorm: false, tied: true),
        Variant(norm: .rmsnorm, mlp: .gelu, qkNorm: false, tied: false),
        Variant(norm: .layernorm, mlp: .swiglu, qkNorm: true, tied: true),
    ]

    @Test(arguments: variants)
    func gradientMatchesFiniteDifferences(v: Variant) throws {
        let c = tinyConfig(layers: 2, dim: 16, heads: 2, vocab: 11, norm: v.norm, mlp: v.mlp, qkNorm: v.qkNorm, tied: v.tied, initStd: 0.3)
        let m = try Model(config: c, maxTokens: 32, seed: 42)
        // Norm gains away from 1 so that a gain that is applied wrongly shows up.
        var rng = Xoshiro256(seed: 9)
        for t in m.layout.tensors where t.shape.count == 1 {
            for i in t.range { m.params[i] = Float(1 + 0.2 * rng.nextGaussian()) }
        }
        let batch = randomBatch(lengths: [3, 9, 6], vocab: 11, seed: 5)
        let z: Float = 1e-2
        _ = try m.forwardBackward(batch, zLoss: z)
        let analytic = snapshot(m.grads)
        let h: Float = 1e-2
        var checked = 0, worst: Float = 0
        for t in m.layout.tensors {
            // Up to 12 entries per tensor, spread over it.
            let picks = (0..<min(12, t.count)).map { _ in t.offset + rng.nextInt(below: t.count) }
            for i in picks {
                let saved = m.params[i]
                m.params[i] = saved + h
                let up = try m.loss(batch, zLoss: z).sum
                m.params[i] = saved - h
                let down = try m.loss(batch, zLoss: z).sum
                m.params[i] = saved
                let fd = Float((up - down) / Double(2 * h))
                let err = abs(fd - analytic[i])
                worst = max(worst, err / (3e-3 + 3e-2 * abs(analytic[i])))
                #expect(err <= 3e-3 + 3e-2 * abs(analytic[i]), "\(t.name)[\(i - t.offset)]: fd \(fd) vs analytic \(analytic[i])")
                checked += 1
            }
        }
        #expect(checked > 100)
        #expect(worst <= 1)
    }
}
