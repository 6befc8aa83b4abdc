import Foundation
import Support
import Testing
@testable import Transformer

/// AdamWOptimizer against a plain Double AdamW written here (decoupled decay, bias correction), with per-tensor decay.
@Suite struct OptimizerTests {
    func reference(params: inout [Double], grads: [[Double]], lr: Double, wd: Double, decays: [Bool]) {
        var m = [Double](repeating: 0, count: params.count), v = m
        for (k, g) in grads.enumerated() {
            let t = Double(k + 1)
            for i in 0..<params.count {
                m[i] = 0.9 * m[i] + 0.1 * g[i]
                v[i] = 0.95 * v[i] + 0.05 * g[i] * g[i]
                let mh = m[i] / (1 - pow(0.9, t)), vh = v[i] / (1 - pow(0.95, t))
                if decays[i] { params[i] -= lr * wd * params[i] }
                params[i] -= lr * mh / (vh.squareRoot() + 1e-8)
            }
        }
    }

    @Test(arguments: [true, false])
    func matchesReferenceOverShardedRanges(exclude: Bool) throws {
        let c = tinyConfig(layers: 1, dim: 8, heads: 2, vocab: 5, qkNorm: true)
        let layout = ParameterLayout(config: c)
        let n = layout.count
        var rng = Xoshiro256(seed: 3)
        let params = UnsafeMutableBufferPointer<Float>.allocate(capacity: n), grads = UnsafeMutableBufferPointer<Float>.allocate(capacity: n)
        defer { params.deallocate(); grads.deallocate() }
        for i in 0..<n { params[i] = Float(rng.nextGaussian()) }
        var ref = params.map(Double.init)
        var decays = [Bool](repeating: false, count: n)
        for t in layout.tensors { for i in t.range { decays[i] = t.decays || !exclude } }
        let opt = AdamWOptimizer(layout: layout, config: AdamWConfig(weightDecay: 0.1, excludeNormsAndEmbeddings: exclude))
        var history: [[Double]] = []
        // Three shards that cut through tensors, updated as separate ranges of one step.
        let cuts = [0..<(n / 3 + 1), (n / 3 + 1)..<(2 * n / 3 - 5), (2 * n / 3 - 5)..<n]
        for _ in 0..<4 {
            for i in 0..<n { grads[i] = Float(rng.nextGaussian()) }
            history.append(grads.map { Double($0) * 0.5 })
            try opt.step(params: params, grads: grads, lr: 0.01, ranges: cuts, gradScale: 0.5)
        }
        reference(params: &ref, grads: history, lr: 0.01, wd: 0.1, decays: decays)
        #expect(opt.stepCount == 4)
        let err = zip(params, ref).map { abs(Double($0) - $1) }.max()!
        #expect(err <= 1e-5, "max error \(err)")
        #expect(throws: DDError.self) { try opt.step(params: params, grads: grads, lr: 0.01, range: 0..<(n + 1)) }
    }

    /// Optimizers that each hold the moments of one shard only (ZeRO-1) give, shard by shard, exactly the parameters
    /// and moments of one optimizer over the whole buffer; a range outside the shard is refused.
    @Test func shardedOptimizersMatchTheWholeBuffer() throws {
        let layout = ParameterLayout(config: tinyConfig(layers: 1, dim: 8, heads: 2, vocab: 5, qkNorm: true))
        let n = layout.count
        var rng = Xoshiro256(seed: 7)
        let start = (0..<n).map { _ in Float(rng.nextGaussian()) }
        let gradients = (0..<3).map { _ in (0..<n).map { _ in Float(rng.nextGaussian()) } }
        let config = AdamWConfig(weightDecay: 0.1)
        func run(_ opt: AdamWOptimizer, _ params: UnsafeMutableBufferPointer<Float>) throws {
            var g = [Float](repeating: 0, count: n)
            for grads in gradients {
                g = grads
                try g.withUnsafeMutableBufferPointer { try opt.step(params: params, grads: $0, lr: 0.01, gradScale: 0.5) }
            }
        }
        let whole = UnsafeMutableBufferPointer<Float>.allocate(capacity: n)
        defer { whole.deallocate() }
        _ = whole.initialize(from: start)
        let full = AdamWOptimizer(layout: layout, config: config)
        try run(full, whole)
        let cuts = [0..<(n / 3 + 1), (n / 3 + 1)..<(2 * n / 3 - 5), (2 * n / 3 - 5)..<n]
        for cut in cuts {
            let params = UnsafeMutableBufferPointer<Float>.allocate(capacity: n)
            defer { params.deallocate() }
            _ = params.initialize(from: start)
            let part = AdamWOptimizer(layout: layout, config: config, shard: cut)
            try run(part, params)
            #expect(Array(params[cut]) == Array(whole[cut]))
            #expect(Array(params[..<cut.lowerBound]) == Array(start[..<cut.lowerBound]))
            #expect(Array(part.m[0..<cut.count]) == Array(full.m[cut]) && Array(part.v[0..<cut.count]) == Array(full.v[cut]))
            #expect(throws: DDError.self) { try part.step(params: params, grads: params, lr: 0.01, range: 0..<n) }
        }
    }

    @Test func clippingScalesToMaxNorm() {
        let n = 1000
        let g = UnsafeMutableBufferPointer<Float>.allocate(capacity: n)
        defer { g.deallocate() }
        var rng = Xoshiro256(seed: 1)
        for i in 0..<n { g[i] = Float(rng.nextGaussian()) }
        let before = g.map(Double.init)
        let norm = before.map { $0 * $0 }.reduce(0, +).squareRoot()
        let reported = clipGradients(g, maxNorm: 2)
        #expect(abs(reported - norm) <= 1e-6 * norm)
        let after = g.map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
        #expect(abs(after - 2) <= 1e-5)
        for i in 0..<n { #expect(abs(Double(g[i]) - before[i] * 2 / norm) <= 1e-6) }
        // Below the limit nothing changes.
        let unchanged = g.map { $0 }
        _ = clipGradients(g, maxNorm: 10)
        #expect(Array(g) == unchanged)
    }
}
