import Foundation
import Testing
import Kernels

extension Double {
    /// e^self (named so the reference reads as the formula).
    var naturalExp: Double { Foundation.exp(self) }
}

/// bf16 attention against the Double reference computed on the same bf16-rounded q, k, v and dO.
///
/// What the reference does not model is the kernel's own rounding: P (forward and backward) and dS are rounded to
/// bf16 (unit roundoff u = 2⁻⁸) before their products, and every product accumulates in fp32. An output is a
/// convex combination of V rows, so rounding P moves it by at most u·max|V| (≈ 0.4% of the output's scale); the
/// gradients go through P and dS, each rounded once (≈ 2u relative per term), and dq, dk sum dS rows that add up to
/// zero, so their normalised error is amplified by the cancellation. Measured (AMD Zen 5), normalised max-abs:
/// out 0.14%, dv 0.18%, dk 1.2%, dq 1.7%; the bounds are 1% (out, dv) and 3% (dq, dk), and lse (fp32 scores of
/// exact bf16 products) stays within 1e-5. `backwardMatchesRoundingModel` checks the backward to 2e-3 against a
/// reference that makes the same roundings.
@Suite(.enabled(if: KernelDispatch.level >= .avx512bf16, "bf16 attention needs avx512_bf16, which this CPU lacks"))
struct AttentionBF16Tests {
    /// Tiles 16×16, 16×48 (also with the 64- and 151-token segments cut into pieces of keys and query rows) and the
    /// default tiles.
    @Test(arguments: [[16, 16, 1024], [16, 48, 1024], [16, 48, 40], [Attention.defaultTile, Attention.defaultKeyTile, 1024]])
    func matchesReferenceOnRoundedInputs(setup: [Int]) throws {
        let (tile, keyTile) = (setup[0], setup[1])
        var c = AttentionCase(lengths: [1, 2, 17, 64, 151], heads: 2, d: 16, tile: tile, keyTile: keyTile, seed: 30)
        c.pieceLength = setup[2]
        c.q = c.q.map(referenceBF16); c.k = c.k.map(referenceBF16); c.v = c.v.map(referenceBF16)
        c.dout = c.dout.map(referenceBF16)
        let (out, lse) = try c.forward(precision: .bf16)
        let (dq, dk, dv) = try c.backward(out: out, lse: lse, precision: .bf16)
        var worst = (out: 0.0, lse: 0.0, dq: 0.0, dk: 0.0, dv: 0.0)
        for (s, len) in c.lengths.enumerated() {
            let start = c.starts[s]
            for h in 0..<c.heads {
                func slice(_ x: [Float]) -> [Double] { headSlice(x, start: start, length: len, head: h, heads: c.heads, d: c.d) }
                let (qs, ks, vs, dos) = (slice(c.q), slice(c.k), slice(c.v), slice(c.dout))
                let ref = naiveAttention(q: qs, k: ks, v: vs, length: len, d: c.d, scale: Double(c.scale))
                let grads = naiveAttentionBackward(q: qs, k: ks, v: vs, dout: dos, length: len, d: c.d, scale: Double(c.scale))
                func err(_ got: [Float], _ want: [Double]) -> Double { normError(slice(got).map { Float($0) }, want) }
                worst.out = max(worst.out, err(out, ref.out))
                worst.lse = max(worst.lse, normError((0..<len).map { lse[(start + $0) * c.heads + h] }, ref.lse))
                worst.dq = max(worst.dq, err(dq, grads.dq))
                worst.dk = max(worst.dk, err(dk, grads.dk))
                worst.dv = max(worst.dv, err(dv, grads.dv))
            }
        }
        #expect(worst.out < 1e-2 && worst.lse < 1e-5, "tiles \(tile)×\(keyTile): out \(worst.out), lse \(worst.lse)")
        #expect(worst.dq < 3e-2 && worst.dk < 3e-2 && worst.dv < 1e-2,
                "tiles \(tile)×\(keyTile): dq \(worst.dq), dk \(worst.dk), dv \(worst.dv)")
    }

    /// The backward against a Double reference that makes the kernel's own roundings: P = exp(S − lse) from the
    /// kernel's lse, rounded to bf16 for dV; dS = P∘(dP − D), D = rowsum(dO∘out) from the kernel's out, rounded to
    /// bf16 for dQ and dK. Left are fp32 accumulation and the odd P or dS entry that rounds the other way because
    /// the kernel's exp differs from Double's by ~2e-7: normalised max-abs error within 2e-3.
    @Test func backwardMatchesRoundingModel() throws {
        var c = AttentionCase(lengths: [3, 40, 130], heads: 2, d: 16, tile: 32, keyTile: 64, seed: 31)
        c.q = c.q.map(referenceBF16); c.k = c.k.map(referenceBF16); c.v = c.v.map(referenceBF16)
        c.dout = c.dout.map(referenceBF16)
        let (out, lse) = try c.forward(precision: .bf16)
        let (dq, dk, dv) = try c.backward(out: out, lse: lse, precision: .bf16)
        let d = c.d, scale = Double(c.scale)
        func bf(_ x: Double) -> Double { Double(referenceBF16(Float(x))) }
        for (s, n) in c.lengths.enumerated() {
            let start = c.starts[s]
            for h in 0..<c.heads {
                func slice(_ x: [Float]) -> [Double] { headSlice(x, start: start, length: n, head: h, heads: c.heads, d: d) }
                let (q, k, v, dO, o) = (slice(c.q), slice(c.k), slice(c.v), slice(c.dout), slice(out))
                var wantQ = [Double](repeating: 0, count: n * d), wantK = wantQ, wantV = wantQ
                for i in 0..<n {
                    let lseI = Double(lse[(start + i) * c.heads + h])
                    var delta = 0.0
                    for x in 0..<d { delta += dO[i * d + x] * o[i * d + x] }
                    for j in 0...i {
                        var sij = 0.0, dp = 0.0
                        for x in 0..<d { sij += q[i * d + x] * k[j * d + x]; dp += dO[i * d + x] * v[j * d + x] }
                        let p = (scale * sij - lseI).naturalExp
                        let pb = bf(p), ds = bf(p * (dp - delta))
                        for x in 0..<d {
                            wantV[j * d + x] += pb * dO[i * d + x]
                            wantQ[i * d + x] += scale * ds * k[j * d + x]
                            wantK[j * d + x] += scale * ds * q[i * d + x]
                        }
                    }
                }
                let e = (normError(slice(dq).map { Float($0) }, wantQ), normError(slice(dk).map { Float($0) }, wantK),
                         normError(slice(dv).map { Float($0) }, wantV))
                #expect(e.0 < 2e-3 && e.1 < 2e-3 && e.2 < 2e-3, "segment \(s) head \(h): dq \(e.0), dk \(e.1), dv \(e.2)")
            }
        }
    }

    /// An odd head dimension is refused in bf16 (operands go in pairs) with a one-line error.
    @Test func oddHeadDimensionIsRefused() throws {
        let c = AttentionCase(lengths: [5], heads: 1, d: 7, seed: 1)
        #expect(throws: (any Error).self) { try c.forward(precision: .bf16) }
    }
}
