import Foundation
import Testing
import Support
import Kernels

@Suite struct OptimizerTests {
    /// Three AdamW steps against the textbook formulas in Double (bound 1e-6 relative to the parameter scale),
    /// over 37 elements (SIMD body and tail), with gradScale and decoupled decay.
    @Test func adamWMatchesDoubleReference() throws {
        var rng = makeRNG(12)
        let n = 37, lr = 0.01, b1 = 0.9, b2 = 0.95, eps = 1e-8, wd = 0.1, gs = 0.5
        var p = gaussian(n, &rng), m = [Float](repeating: 0, count: n), v = [Float](repeating: 0, count: n)
        var rp = dbl(p), rm = [Double](repeating: 0, count: n), rv = [Double](repeating: 0, count: n)
        for step in 1...3 {
            let g = gaussian(n, &rng)
            try AdamW.update(params: &p, grads: g, m: &m, v: &v, count: n, lr: Float(lr), beta1: Float(b1),
                             beta2: Float(b2), eps: Float(eps), weightDecay: Float(wd), step: step, gradScale: Float(gs))
            for i in 0..<n {
                let gi = Double(g[i]) * gs
                rp[i] -= lr * wd * rp[i]
                rm[i] = b1 * rm[i] + (1 - b1) * gi
                rv[i] = b2 * rv[i] + (1 - b2) * gi * gi
                let mh = rm[i] / (1 - Foundation.pow(b1, Double(step)))
                let vh = rv[i] / (1 - Foundation.pow(b2, Double(step)))
                rp[i] -= lr * mh / (vh.squareRoot() + eps)
            }
            #expect(normError(p, rp) < 1e-6, "step \(step)")
            #expect(normError(m, rm) < 1e-6)
            #expect(normError(v, rv) < 1e-6)
        }
    }

    /// Hand-computed first step: bias correction makes the update lr·g/(|g|+ε) ≈ lr·sign(g), after decay
    /// p·(1 − lr·λ). p = 1, g = −3, lr = 0.1, λ = 0.5: 1·0.95 + 0.1 = 1.05. With λ = 0 (a no-decay tensor): 1.1.
    @Test func adamWFirstStepByHand() throws {
        for (wd, want) in [(Float(0.5), Float(1.05)), (0, 1.1)] {
            var p: [Float] = [1], m: [Float] = [0], v: [Float] = [0]
            try AdamW.update(params: &p, grads: [-3], m: &m, v: &v, count: 1, lr: 0.1, beta1: 0.9, beta2: 0.95,
                             eps: 1e-8, weightDecay: wd, step: 1)
            #expect(abs(p[0] - want) < 1e-6)
        }
        var p: [Float] = [1], m: [Float] = [0], v: [Float] = [0]
        #expect(throws: DDError.self) {
            try AdamW.update(params: &p, grads: [1], m: &m, v: &v, count: 1, lr: 0.1, beta1: 0.9, beta2: 0.95,
                             eps: 1e-8, weightDecay: 0, step: 0)
        }
    }
}

@Suite struct VectorTests {
    /// Every helper on 10,007 elements (SIMD body and tail) against plain Double loops.
    @Test func helpers() {
        var rng = makeRNG(13)
        let n = 10_007
        let x = gaussian(n, &rng), y0 = gaussian(n, &rng)
        let ss = x.reduce(0.0) { $0 + Double($1) * Double($1) }
        #expect(abs(Vector.sumOfSquares(x, count: n) - ss) / ss < 1e-6)
        let dot = zip(x, y0).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(abs(Vector.dot(x, y0, count: n) - dot) < 1e-6 * ss)
        var y = y0
        Vector.add(x, into: &y, count: n, scale: 0.5)
        #expect(normError(y, (0..<n).map { Double(y0[$0]) + 0.5 * Double(x[$0]) }) < 1e-6)
        var s = x
        Vector.scale(&s, count: n, by: -2)
        #expect(s == x.map { -2 * $0 })
        var f = x
        Vector.fill(&f, count: n - 1, value: 3)
        #expect(f.dropLast().allSatisfy { $0 == 3 } && f[n - 1] == x[n - 1])
        Vector.zero(&f, count: n)
        #expect(f.allSatisfy { $0 == 0 })
        Vector.copy(from: x, to: &f, count: n)
        #expect(f == x)
        #expect(Vector.allFinite(x, count: n))
        for bad in [Float.nan, .infinity, -.infinity] {
            for at in [5, n - 1] {
                var z = x
                z[at] = bad
                #expect(!Vector.allFinite(z, count: n))
            }
        }
    }
}
