import Testing
import Kernels
@testable import Transformer

/// bf16 mode against fp32 mode on the same model and batch.
///
/// Bound: every product rounds both operands to bf16 (relative error ≤ 2⁻⁸ each), so a product's output moves by
/// up to ~2⁻⁷ relative in the worst case and by ~2⁻⁸·√2 in norm for uncorrelated rounding; through two layers,
/// the attention softmax and the loss, the measured norm-wise gradient error of this model is 0.6% (GELU) and
/// 0.9% (SwiGLU), the loss error 1e-4 (AMD Zen 5). The test allows 2% of the fp32 gradient's norm over the whole buffer and 4% for each Linear weight;
/// it fails if bf16 were computed in fp32 (then the error would be ~1e-7) or were wrong.
@Suite(.enabled(if: KernelDispatch.gemmBF16 != nil, "no bf16 kernel on this CPU: it lacks avx512_bf16 and amx_bf16"))
struct MixedPrecisionTests {
    func gradients(_ precision: Precision, config: ModelConfig, batch: PackedBatch) throws -> (LossSum, [Float]) {
        let model = try Model(config: config, maxTokens: 256, seed: 3)
        try model.setPrecision(precision)
        let loss = try model.forwardBackward(batch, zLoss: 1e-4)
        return (loss, snapshot(model.grads))
    }

    func relativeNorm(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
        var diff = 0.0, size = 0.0
        for (x, y) in zip(a, b) { diff += Double(x - y) * Double(x - y); size += Double(y) * Double(y) }
        return (diff / max(size, 1e-300)).squareRoot()
    }

    @Test(arguments: [ModelConfig.MLP.swiglu, .gelu])
    func gradientsMatchFP32(mlp: ModelConfig.MLP) throws {
        let config = tinyConfig(layers: 2, dim: 64, heads: 4, vocab: 97, mlp: mlp, initStd: 0.1)
        let batch = randomBatch(lengths: [70, 33, 1, 100], vocab: 97, seed: 5)
        let (lossF, gF) = try gradients(.fp32, config: config, batch: batch)
        let (lossB, gB) = try gradients(.bf16, config: config, batch: batch)
        #expect(abs(lossB.sum - lossF.sum) / lossF.sum < 2e-3, "loss bf16 \(lossB.sum) vs fp32 \(lossF.sum)")
        let whole = relativeNorm(gB[...], gF[...])
        #expect(whole < 0.02 && whole > 1e-5, "whole-gradient relative error \(whole) (bf16 must differ from fp32 and stay close)")
        let model = try Model(config: config, maxTokens: 256, seed: 3)
        for w in model.linears.all {
            let range = w.offset..<(w.offset + w.inFeatures * w.outFeatures)
            let e = relativeNorm(gB[range], gF[range])
            #expect(e < 0.04, "weight at \(w.offset) [\(w.outFeatures)×\(w.inFeatures)]: relative error \(e)")
        }
    }

    /// Two bf16 passes over the same batch give bit-identical gradients (weights are re-packed every pass).
    @Test func deterministic() throws {
        let config = tinyConfig(layers: 1, dim: 32, heads: 2, vocab: 31)
        let batch = randomBatch(lengths: [40, 9], vocab: 31, seed: 2)
        let model = try Model(config: config, maxTokens: 64, seed: 1)
        try model.setPrecision(.bf16)
        let l1 = try model.forwardBackward(batch)
        let g1 = snapshot(model.grads)
        let saved = model.params[7]
        model.params[7] = saved + 0.25  // a changed weight must be picked up by the next pass…
        let l2 = try model.forwardBackward(batch)
        model.params[7] = saved  // …and restoring it restores the result exactly
        let l3 = try model.forwardBackward(batch)
        #expect(l1 != l2 && l1 == l3 && g1 == snapshot(model.grads))
    }
}
