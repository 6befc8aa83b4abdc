import Foundation
import Testing
import Kernels

@Suite struct AttentionLongTests {
    /// Segments of 700, 129 and 5 tokens (several tiles, ragged last tiles), 2 heads: default tiles and 64×96 at
    /// D = 32, and 32-row query tiles over 16-key tiles at D = 24 (key tiles narrower than query tiles; D not a
    /// multiple of the micro-kernel's 16 columns), each whole and cut into pieces (segments over 100 tokens: the
    /// forward's query pieces and the backward's key pieces with their dQ partials): forward within 1e-5 and all
    /// three gradients within 1e-4 (normalised max-abs) of the naive Double forward and of the explicit-P
    /// chain-rule backward (AttentionReference.swift).
    @Test(arguments: [[Attention.defaultTile, Attention.defaultKeyTile, 32], [64, 96, 32], [32, 16, 24]], [1024, 100])
    func matchesNaiveUpTo700Tokens(tiles: [Int], pieceLength: Int) throws {
        var c = AttentionCase(lengths: [700, 129, 5], heads: 2, d: tiles[2], tile: tiles[0], keyTile: tiles[1], seed: 30)
        c.pieceLength = pieceLength
        let (out, lse) = try c.forward()
        let (dq, dk, dv) = try c.backward(out: out, lse: lse)
        for (s, len) in c.lengths.enumerated() {
            for h in 0..<c.heads {
                func slice(_ x: [Float]) -> [Double] { headSlice(x, start: c.starts[s], length: len, head: h, heads: c.heads, d: c.d) }
                let q = slice(c.q), k = slice(c.k), v = slice(c.v), dout = slice(c.dout), sc = Double(c.scale)
                let ref = naiveAttention(q: q, k: k, v: v, length: len, d: c.d, scale: sc)
                let g = naiveAttentionBackward(q: q, k: k, v: v, dout: dout, length: len, d: c.d, scale: sc)
                func f(_ x: [Double]) -> [Float] { x.map { Float($0) } }
                #expect(normError(f(slice(out)), ref.out) < 1e-5, "out segment \(s) head \(h)")
                #expect(normError(f(slice(dq)), g.dq) < 1e-4, "dq segment \(s) head \(h)")
                #expect(normError(f(slice(dk)), g.dk) < 1e-4, "dk segment \(s) head \(h)")
                #expect(normError(f(slice(dv)), g.dv) < 1e-4, "dv segment \(s) head \(h)")
            }
        }
    }

    /// Peaked softmax: q scaled ×30 makes scores spread ~±100, so many probabilities underflow to exactly 0
    /// and the running max changes often. Forward within 1e-5 and gradients within 1e-4 (normalised) of the
    /// naive Double references, over segments of 300 and 77 tokens with 64×96 tiles.
    @Test func peakedScoresStayAccurate() throws {
        var c = AttentionCase(lengths: [300, 77], heads: 1, d: 16, tile: 64, keyTile: 96, seed: 32)
        c.q = c.q.map { $0 * 30 }
        let (out, lse) = try c.forward()
        let (dq, dk, dv) = try c.backward(out: out, lse: lse)
        for (s, len) in c.lengths.enumerated() {
            func slice(_ x: [Float]) -> [Double] { headSlice(x, start: c.starts[s], length: len, head: 0, heads: 1, d: c.d) }
            func f(_ x: [Double]) -> [Float] { x.map { Float($0) } }
            let q = slice(c.q), k = slice(c.k), v = slice(c.v), sc = Double(c.scale)
            let ref = naiveAttention(q: q, k: k, v: v, length: len, d: c.d, scale: sc)
            let g = naiveAttentionBackward(q: q, k: k, v: v, dout: slice(c.dout), length: len, d: c.d, scale: sc)
            #expect(normError(f(slice(out)), ref.out) < 1e-5, "out segment \(s)")
            #expect(normError(f(slice(dq)), g.dq) < 1e-4, "dq segment \(s)")
            #expect(normError(f(slice(dk)), g.dk) < 1e-4, "dk segment \(s)")
            #expect(normError(f(slice(dv)), g.dv) < 1e-4, "dv segment \(s)")
        }
    }

    /// One 16,384-token sequence (1 head, D = 64, default tiles): forward and backward finite; sampled rows
    /// of out, lse and dq within 1e-4 of a per-row Double computation over the whole prefix; and two exact
    /// identities of the backward that involve every key row: Σ_j dV_j = Σ_i dO_i (rows of P sum to 1) and
    /// Σ_j dK_j = 0 (each row of dS sums to 0), both within 1e-4 relative to the magnitudes involved.
    @Test func runsOn16384Tokens() throws {
        let n = 16_384, d = 64
        let c = AttentionCase(lengths: [n], heads: 1, d: d, seed: 31)
        let (out, lse) = try c.forward()
        let (dq, dk, dv) = try c.backward(out: out, lse: lse)
        #expect(out.allSatisfy { $0.isFinite } && lse.allSatisfy { $0.isFinite })
        #expect(dq.allSatisfy { $0.isFinite } && dk.allSatisfy { $0.isFinite } && dv.allSatisfy { $0.isFinite })
        let sc = Double(c.scale)
        for i in [0, 1, 127, 128, 129, 5_000, n - 1] {
            // Row i in Double: scores, lse, out, and dq_i = scale·Σ_j P_ij(dP_ij − D_i)·k_j.
            var s = [Double](repeating: 0, count: i + 1)
            for j in 0...i { for x in 0..<d { s[j] += Double(c.q[i * d + x]) * Double(c.k[j * d + x]) }; s[j] *= sc }
            let mx = s.max()!
            let l = mx + Foundation.log(s.reduce(0) { $0 + Foundation.exp($1 - mx) })
            var o = [Double](repeating: 0, count: d), dp = [Double](repeating: 0, count: i + 1)
            for j in 0...i {
                let p = Foundation.exp(s[j] - l)
                for x in 0..<d { o[x] += p * Double(c.v[j * d + x]); dp[j] += Double(c.dout[i * d + x]) * Double(c.v[j * d + x]) }
            }
            let delta = (0..<d).reduce(0.0) { $0 + o[$1] * Double(c.dout[i * d + $1]) }
            var g = [Double](repeating: 0, count: d)
            for j in 0...i {
                let ds = Foundation.exp(s[j] - l) * (dp[j] - delta) * sc
                for x in 0..<d { g[x] += ds * Double(c.k[j * d + x]) }
            }
            #expect(abs(Double(lse[i]) - l) < 1e-4 * max(1, abs(l)), "lse row \(i)")
            #expect(normError(Array(out[(i * d)..<((i + 1) * d)]), o) < 1e-4, "out row \(i)")
            // Row 0 sees one key, so its dq is 0 up to rounding and a normalised error is meaningless there.
            if i > 0 { #expect(normError(Array(dq[(i * d)..<((i + 1) * d)]), g) < 1e-4, "dq row \(i)") }
        }
        var sumDv = [Double](repeating: 0, count: d), sumDo = sumDv, sumDk = sumDv, magDk = sumDv
        for t in 0..<n {
            for x in 0..<d {
                sumDv[x] += Double(dv[t * d + x]); sumDo[x] += Double(c.dout[t * d + x])
                sumDk[x] += Double(dk[t * d + x]); magDk[x] += abs(Double(dk[t * d + x]))
            }
        }
        #expect(normError(sumDv.map { Float($0) }, sumDo) < 1e-4)
        #expect((0..<d).allSatisfy { abs(sumDk[$0]) < 1e-4 * magDk[$0] })
    }
}
