import Testing
import Kernels
@testable import Transformer

/// The whole model on 1, 2 and 3 threads of its worker pool: three training steps (forward, backward,
/// clipping, AdamW) must give bit-identical losses, gradients and parameters, in fp32 and bf16, for RMSNorm with
/// SwiGLU and for LayerNorm with GELU and qk-norm.
@Suite(.serialized) struct ThreadDeterminismModelTests {
    /// Losses, then gradients and parameters after each of three steps, as raw bits. At kernel level avx512 and
    /// above the fp32 Linear products run on `GemmF32`, so OpenBLAS gets the pool's thread count too (as a run with
    /// train.threads T sets it) and must not matter. At avx2 they run on cblas_sgemm, whose own threading does not
    /// give the same bits at every thread count, so there OpenBLAS stays at one thread.
    func train(threads: Int, precision: Precision, config: ModelConfig) throws -> [UInt32] {
        Matmul.setThreads(KernelDispatch.linearF32Own ? threads : 1)
        defer { Matmul.setThreads(1) }
        let pool = WorkerPool(threads: threads)
        let model = try Model(config: config, maxTokens: 300, seed: 9, pool: pool)
        try model.setPrecision(precision)
        let optimizer = AdamWOptimizer(layout: model.layout, config: AdamWConfig(weightDecay: 0.1))
        var bits: [UInt32] = []
        for step in 0..<3 {
            let batch = randomBatch(lengths: [97, 1, 150, 40], vocab: config.vocab, seed: UInt64(20 + step))
            let loss = try model.forwardBackward(batch, zLoss: 1e-4)
            bits += [UInt32(loss.sum.bitPattern >> 32), UInt32(loss.sum.bitPattern & 0xffff_ffff)]
            Vector.scale(model.grads.baseAddress!, count: model.grads.count, by: 1 / Float(loss.count), pool: pool)
            let norm = clipGradients(model.grads, maxNorm: 0.5, pool: pool)
            bits += [UInt32(norm.bitPattern >> 32)]
            bits += model.grads.map(\.bitPattern)
            try optimizer.step(params: model.params, grads: model.grads, lr: 1e-2, pool: pool)
            bits += model.params.map(\.bitPattern)
        }
        return bits
    }

    static let configs: [ModelConfig] = {
        var b = tinyConfig(layers: 2, dim: 64, heads: 4, vocab: 97, norm: .layernorm, mlp: .gelu, initStd: 0.1)
        b.qkNorm = true
        return [tinyConfig(layers: 2, dim: 64, heads: 4, vocab: 97, mlp: .swiglu, initStd: 0.1), b]
    }()

    @Test(arguments: Precision.allCases, [0, 1])
    func sameBitsOnOneTwoAndThreeThreads(precision: Precision, configIndex: Int) throws {
        if precision == .bf16 && KernelDispatch.gemmBF16 == nil { return }
        let config = Self.configs[configIndex]
        let one = try train(threads: 1, precision: precision, config: config)
        for threads in [2, 3] {
            let many = try train(threads: threads, precision: precision, config: config)
            let first = zip(many, one).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            #expect(many.count == one.count && first == nil,
                    "\(precision), config \(configIndex), \(threads) threads: first differing word \(first ?? -1) of \(one.count)")
        }
    }
}
