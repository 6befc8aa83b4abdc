import Foundation
import Testing
import Kernels

@Suite struct ActivationTests {
    /// Inputs covering the SIMD body, the scalar tail and saturation (|x| up to 100, where a naive
    /// exp-based form would overflow).
    static func inputs(_ seed: UInt64) -> [Float] {
        var rng = makeRNG(seed)
        return gaussian(37, &rng, scale: 3) + [-100, -30, 0, 30, 100]
    }

    /// SwiGLU forward within 1e-5 of Double silu(g)·u; both gradients within 1e-4 of central differences.
    @Test func swiGLU() {
        let gate = Self.inputs(5)
        var rng = makeRNG(6)
        let up = gaussian(gate.count, &rng), r = dbl(gaussian(gate.count, &rng))
        let n = gate.count
        func ref(_ g: [Double], _ u: [Double]) -> [Double] { (0..<n).map { g[$0] / (1 + Foundation.exp(-g[$0])) * u[$0] } }
        var out = [Float](repeating: 0, count: n)
        SwiGLU.forward(gate: gate, up: up, out: &out, count: n)
        #expect(normError(out, ref(dbl(gate), dbl(up))) < 1e-5)
        var dg = [Float](repeating: .nan, count: n), du = [Float](repeating: .nan, count: n)
        SwiGLU.backward(gate: gate, up: up, dout: r.map { Float($0) }, dgate: &dg, dup: &du, count: n)
        #expect(normError(dg, finiteDifference(dbl(gate)) { project(ref($0, dbl(up)), r) }) < 1e-4)
        #expect(normError(du, finiteDifference(dbl(up)) { project(ref(dbl(gate), $0), r) }) < 1e-4)
    }

    /// The [T, 2F] row layout (gate | up per row): 3 rows of F = 21 (SIMD body and tail in every row); forward within
    /// 1e-5 of the Double formula, gradients within 1e-4 of central differences, both read in the row layout.
    @Test func swiGLURows() {
        let tokens = 3, f = 21
        var rng = makeRNG(9)
        let gateUp = gaussian(tokens * 2 * f, &rng, scale: 3), r = dbl(gaussian(tokens * f, &rng))
        func ref(_ gu: [Double]) -> [Double] {
            (0..<(tokens * f)).map { i in
                let t = i / f, j = i % f, g = gu[t * 2 * f + j], u = gu[t * 2 * f + f + j]
                return g / (1 + Foundation.exp(-g)) * u
            }
        }
        var out = [Float](repeating: .nan, count: tokens * f)
        SwiGLU.forwardRows(gateUp: gateUp, out: &out, tokens: tokens, hidden: f)
        #expect(normError(out, ref(dbl(gateUp))) < 1e-5)
        var dgu = [Float](repeating: .nan, count: tokens * 2 * f)
        SwiGLU.backwardRows(gateUp: gateUp, dout: r.map { Float($0) }, dgateUp: &dgu, tokens: tokens, hidden: f)
        #expect(normError(dgu, finiteDifference(dbl(gateUp)) { project(ref($0), r) }) < 1e-4)
    }

    /// GELU (tanh form) forward within 1e-5 of the Double formula; gradient within 1e-4 of central differences.
    @Test func gelu() {
        let x = Self.inputs(7)
        var rng = makeRNG(8)
        let r = dbl(gaussian(x.count, &rng))
        let n = x.count
        func ref(_ x: [Double]) -> [Double] {
            x.map { 0.5 * $0 * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * ($0 + 0.044715 * $0 * $0 * $0))) }
        }
        var out = [Float](repeating: 0, count: n)
        GELU.forward(x: x, out: &out, count: n)
        #expect(normError(out, ref(dbl(x))) < 1e-5)
        var dx = [Float](repeating: .nan, count: n)
        GELU.backward(x: x, dout: r.map { Float($0) }, dx: &dx, count: n)
        #expect(normError(dx, finiteDifference(dbl(x)) { project(ref($0), r) }) < 1e-4)
    }

    /// RoPE against a Double rotation of pairs (2i, 2i+1) by pos·base^(−2i/D) at positions up to 16,000
    /// (bound 1e-5 normalised); backward against central differences (bound 1e-4). Position 0 is the identity.
    @Test func rope() {
        var rng = makeRNG(9)
        let t = 5, h = 2, d = 8, base: Float = 10_000
        let pos: [Int32] = [0, 1, 2, 100, 16_000]
        let x = gaussian(t * h * d, &rng), r = dbl(gaussian(t * h * d, &rng))
        func ref(_ x: [Double]) -> [Double] {
            var y = x
            for i in 0..<t { for hh in 0..<h { for p in 0..<(d / 2) {
                let theta = Double(pos[i]) * Foundation.pow(Double(base), -Double(2 * p) / Double(d))
                let o = (i * h + hh) * d + 2 * p
                y[o] = x[o] * Foundation.cos(theta) - x[o + 1] * Foundation.sin(theta)
                y[o + 1] = x[o] * Foundation.sin(theta) + x[o + 1] * Foundation.cos(theta)
            } } }
            return y
        }
        var y = x
        RoPE.forward(x: &y, positions: pos, tokens: t, heads: h, headDim: d, base: base)
        #expect(normError(y, ref(dbl(x))) < 1e-5)
        #expect(Array(y[0..<(h * d)]) == Array(x[0..<(h * d)]))
        var dx = r.map { Float($0) }
        RoPE.backward(dx: &dx, positions: pos, tokens: t, heads: h, headDim: d, base: base)
        #expect(normError(dx, finiteDifference(dbl(x)) { project(ref($0), r) }) < 1e-4)

        // A table covering positions < 200 gives the same results (the 16,000 row falls back to computing);
        // a table for another base is ignored rather than misapplied.
        for table in [RoPETable(headDim: d, base: base, maxPositions: 200), RoPETable(headDim: d, base: 500, maxPositions: 200)] {
            var yt = x, dxt = r.map { Float($0) }
            RoPE.forward(x: &yt, positions: pos, tokens: t, heads: h, headDim: d, base: base, table: table)
            RoPE.backward(dx: &dxt, positions: pos, tokens: t, heads: h, headDim: d, base: base, table: table)
            #expect(yt == y && dxt == dx)
        }
    }
}
