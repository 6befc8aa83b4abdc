import Foundation
import Testing
import Support
import Kernels

/// The fused-projection layouts: q, k, v (and their gradients) as columns of one [T, stride] tensor, read by
/// Attention (`qkvStride`) and RoPE (`rowStride`). Checked against the plain-loop Double references, with a few
/// padding columns per row that the kernels must leave untouched.
@Suite struct StridedKernelTests {
    /// Attention with q | k | v | pad rows (stride 3·H·D + 3), segments of 1, 37 and 150 tokens, 2 heads, D = 8, with
    /// 16×48 tiles and the default tiles: out and lse within 1e-5 of the naive Double softmax(QKᵀ)V per segment and head,
    /// dq, dk, dv (written into a dq | dk | dv | pad tensor of the same stride) within 1e-4 of the chain-rule Double
    /// gradients; the padding columns keep their sentinel.
    @Test(arguments: [(16, 48), (Attention.defaultTile, Attention.defaultKeyTile)])
    func attentionWithQKVStride(tile: Int, keyTile: Int) throws {
        let lengths = [1, 37, 150], heads = 2, d = 8, w = heads * d, stride = 3 * w + 3
        let starts = lengths.reduce(into: [0]) { $0.append($0.last! + $1) }, tokens = starts.last!
        var rng = makeRNG(31)
        let qkv = gaussian(tokens * stride, &rng), dout = gaussian(tokens * w, &rng)
        let sentinel: Float = 12345
        var dqkv = [Float](repeating: sentinel, count: tokens * stride)
        var out = [Float](repeating: .nan, count: tokens * w), lse = [Float](repeating: .nan, count: tokens * heads)
        var ws = [Float](repeating: .nan, count: Attention.workspaceFloats(maxTokens: tokens, heads: heads, headDim: d,
                                                                          tile: tile, keyTile: keyTile))
        let scale = 1 / Float(d).squareRoot()
        try qkv.withUnsafeBufferPointer { x in
            let q = x.baseAddress!, k = q + w, v = q + 2 * w
            try ws.withUnsafeMutableBufferPointer { ws in
                try Attention.forward(q: q, k: k, v: v, out: &out, lse: &lse, segmentStarts: starts, heads: heads, headDim: d,
                                      scale: scale, workspace: ws, tile: tile, keyTile: keyTile, qkvStride: stride)
                try dqkv.withUnsafeMutableBufferPointer { g in
                    let dq = g.baseAddress!
                    try Attention.backward(q: q, k: k, v: v, out: out, dout: dout, lse: lse, dq: dq, dk: dq + w, dv: dq + 2 * w,
                                           segmentStarts: starts, heads: heads, headDim: d, scale: scale, workspace: ws,
                                           tile: tile, keyTile: keyTile, qkvStride: stride)
                }
            }
        }
        /// Head h of rows [start, start+len) of the column block at `column` of a [T, stride] tensor.
        func slice(_ x: [Float], _ column: Int, _ start: Int, _ len: Int, _ h: Int) -> [Double] {
            (0..<(len * d)).map { Double(x[(start + $0 / d) * stride + column + h * d + $0 % d]) }
        }
        for (s, len) in lengths.enumerated() {
            let start = starts[s]
            for h in 0..<heads {
                let q = slice(qkv, 0, start, len, h), k = slice(qkv, w, start, len, h), v = slice(qkv, 2 * w, start, len, h)
                let dos = headSlice(dout, start: start, length: len, head: h, heads: heads, d: d)
                let ref = naiveAttention(q: q, k: k, v: v, length: len, d: d, scale: Double(scale))
                let grad = naiveAttentionBackward(q: q, k: k, v: v, dout: dos, length: len, d: d, scale: Double(scale))
                let outGot = headSlice(out, start: start, length: len, head: h, heads: heads, d: d).map { Float($0) }
                #expect(normError(outGot, ref.out) < 1e-5, "out segment \(s) head \(h)")
                #expect(normError((0..<len).map { lse[(start + $0) * heads + h] }, ref.lse) < 1e-5, "lse segment \(s) head \(h)")
                #expect(normError(slice(dqkv, 2 * w, start, len, h).map { Float($0) }, grad.dv) < 1e-4, "dv segment \(s) head \(h)")
                if len > 1 {
                    #expect(normError(slice(dqkv, 0, start, len, h).map { Float($0) }, grad.dq) < 1e-4, "dq segment \(s) head \(h)")
                    #expect(normError(slice(dqkv, w, start, len, h).map { Float($0) }, grad.dk) < 1e-4, "dk segment \(s) head \(h)")
                }
            }
        }
        for t in 0..<tokens { #expect(dqkv[(t * stride + 3 * w)..<((t + 1) * stride)].allSatisfy { $0 == sentinel }, "pad row \(t)") }
    }

    /// A stride narrower than H·D is a DDError, not an overrun.
    @Test func rejectsNarrowStride() throws {
        let x = [Float](repeating: 0, count: 64)
        var out = x, lse = [Float](repeating: 0, count: 4)
        var ws = [Float](repeating: 0, count: Attention.workspaceFloats(maxTokens: 4, heads: 2, headDim: 8))
        #expect(throws: DDError.self) {
            try ws.withUnsafeMutableBufferPointer {
                try Attention.forward(q: x, k: x, v: x, out: &out, lse: &lse, segmentStarts: [0, 4], heads: 2, headDim: 8,
                                      scale: 1, workspace: $0, qkvStride: 15)
            }
        }
    }

    /// RoPE on the q and k column blocks of a [T, 3·H·D + 2] tensor: every rotated block within 1e-5 of the Double
    /// rotation, backward within 1e-4 of central differences, and the v block and padding bit-for-bit unchanged.
    @Test func ropeWithRowStride() {
        let t = 5, h = 3, d = 6, w = h * d, stride = 3 * w + 2, base: Float = 10_000
        var rng = makeRNG(32)
        let x = gaussian(t * stride, &rng), r = dbl(gaussian(t * stride, &rng))
        let pos: [Int32] = [0, 1, 7, 300, 16_000]
        /// Rotates the block at column 0 and at column w of every row; everything else is copied.
        func ref(_ x: [Double]) -> [Double] {
            var y = x
            for i in 0..<t { for block in [0, w] { for hh in 0..<h { for p in 0..<(d / 2) {
                let theta = Double(pos[i]) * Foundation.pow(Double(base), -Double(2 * p) / Double(d))
                let o = i * stride + block + hh * d + 2 * p
                y[o] = x[o] * Foundation.cos(theta) - x[o + 1] * Foundation.sin(theta)
                y[o + 1] = x[o] * Foundation.sin(theta) + x[o + 1] * Foundation.cos(theta)
            } } } }
            return y
        }
        let table = RoPETable(headDim: d, base: base, maxPositions: 400)
        var y = x, dx = r.map { Float($0) }
        y.withUnsafeMutableBufferPointer { p in
            for block in [0, w] {
                RoPE.forward(x: p.baseAddress! + block, positions: pos, tokens: t, heads: h, headDim: d, base: base, table: table,
                             rowStride: stride)
            }
        }
        dx.withUnsafeMutableBufferPointer { p in
            for block in [0, w] {
                RoPE.backward(dx: p.baseAddress! + block, positions: pos, tokens: t, heads: h, headDim: d, base: base, table: table,
                              rowStride: stride)
            }
        }
        #expect(normError(y, ref(dbl(x))) < 1e-5)
        #expect(normError(dx, finiteDifference(dbl(x)) { project(ref($0), r) }) < 1e-4)
        for i in 0..<t { #expect(Array(y[(i * stride + 2 * w)..<((i + 1) * stride)]) == Array(x[(i * stride + 2 * w)..<((i + 1) * stride)])) }
    }
}
