#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Support

/// Causal self-attention over variable-length sequences packed end to end, in the FlashAttention scheme
/// (Dao et al., arXiv 2205.14135; backward as in FlashAttention-2, arXiv 2307.08691).
///
/// Shapes: q, k, v, out, dout, dq, dk, dv [T, H, D] (row stride H·D); lse [T, H]. With `qkvStride`, q, k, v
/// and dq, dk, dv have that row stride instead (they are the q, k and v columns of a fused [T, 3·H·D] tensor,
/// the output of one projection sgemm); out and dout stay [T, H, D]. Segment s covers tokens
/// segmentStarts[s] ..< segmentStarts[s+1]; a token attends to the tokens of its own segment at or before
/// it, never across segments. Query tiles of `tile` rows meet key tiles of `keyTile` rows; the tile products
/// run in cblas_sgemm straight on the strided head layout (ld = H·D), the softmax in SIMD code with an
/// online max/sum, so the [l, l] score matrix is never formed: extra memory is a few tiles plus O(T·H).
/// Blocks wholly above the diagonal are never visited; blocks off the diagonal run unmasked; the diagonal
/// block of each tile is done in strips of `diagonalStrip` rows and is the only place a mask is applied.
public enum Attention {
    /// Query rows per tile used unless the caller picks another. Measured at D = 64 on Zen 4 with one BLAS
    /// thread: 128 query rows × 512 keys gave fwd+bwd 0.76–0.84 of sgemm 1024³ for l = 2k…16k, against
    /// 0.72–0.77 for 128 × 128; 256-row tiles were no better. A 128 × 512 score tile (256 KiB) stays in L2.
    public static let defaultTile = 128
    /// Keys per tile used unless the caller picks another (see `defaultTile`).
    public static let defaultKeyTile = 512

    /// Rows per strip on the diagonal. A block that straddles the diagonal is processed in strips of this
    /// many query rows, each against the keys up to its own last row, so the work spent on masked entries is
    /// a strip²/2 triangle per strip rather than tile²/2 per tile (for l = 256 and 128-row tiles the latter
    /// computes 1.5× the useful products).
    static let diagonalStrip = 32

    /// Floats of workspace that `forward` and `backward` need for up to `maxTokens` packed tokens.
    public static func workspaceFloats(maxTokens: Int, heads: Int, headDim: Int, tile: Int = defaultTile,
                                       keyTile: Int = defaultKeyTile) -> Int {
        max(forwardWorkspace(tile, keyTile, headDim), backwardWorkspace(maxTokens, heads, tile, keyTile))
    }

    /// Score tile (tile × max(tile, keyTile): diagonal strips reach tile keys), output accumulator, running
    /// max and running sum.
    static func forwardWorkspace(_ tile: Int, _ keyTile: Int, _ headDim: Int) -> Int {
        tile * max(tile, keyTile) + tile * headDim + 2 * tile
    }
    /// Probability tile, score-gradient tile and D = rowsum(dO∘O) for every token and head.
    static func backwardWorkspace(_ tokens: Int, _ heads: Int, _ tile: Int, _ keyTile: Int) -> Int {
        2 * tile * keyTile + tokens * heads
    }

    /// out = softmax(scale·QKᵀ + causal segment mask)·V per head; lse[t, h] = log Σ_j exp(scale·q_t·k_j).
    public static func forward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                               out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>,
                               segmentStarts: [Int], heads: Int, headDim: Int, scale: Float,
                               workspace: UnsafeMutableBufferPointer<Float>, tile: Int = defaultTile,
                               keyTile: Int = defaultKeyTile, qkvStride: Int? = nil) throws {
        let tokens = try validate(segmentStarts, heads: heads, headDim: headDim, tile: tile, keyTile: keyTile)
        try checkWorkspace(workspace, need: forwardWorkspace(tile, keyTile, headDim), tokens: tokens, heads: heads,
                           headDim: headDim, tile: tile, keyTile: keyTile)
        let d = headDim, outStride = heads * headDim, ld = max(tile, keyTile), strip = min(diagonalStrip, tile)
        let rowStride = try checkStride(qkvStride, heads: heads, headDim: headDim)
        let s = workspace.baseAddress!
        let o = s + tile * ld, m = o + tile * d, l = m + tile
        for seg in 0..<(segmentStarts.count - 1) {
            let start = segmentStarts[seg], length = segmentStarts[seg + 1] - start
            for h in 0..<heads {
                let base = start * rowStride + h * d, outBase = start * outStride + h * d
                let view = HeadView(q: q + base, k: k + base, v: v + base, rowStride: rowStride, d: d, scale: scale)
                var r0 = 0
                while r0 < length {
                    let br = min(tile, length - r0)
                    m.update(repeating: -.infinity, count: br)
                    l.update(repeating: 0, count: br)
                    o.update(repeating: 0, count: br * d)
                    // Keys before the query tile: whole key tiles, no mask (the last one cut at row r0).
                    var c0 = 0
                    while c0 < r0 {
                        let bc = min(keyTile, r0 - c0)
                        forwardBlock(view, r0: r0, rows: br, c0: c0, cols: bc, m: m, l: l, o: o, s: s, ld: ld)
                        c0 += bc
                    }
                    // The diagonal block in strips, each against the keys up to its last row.
                    var s0 = 0
                    while s0 < br {
                        let sr = min(strip, br - s0)
                        forwardBlock(view, r0: r0 + s0, rows: sr, c0: r0, cols: s0 + sr, m: m + s0, l: l + s0,
                                     o: o + s0 * d, s: s, ld: ld)
                        s0 += sr
                    }
                    for r in 0..<br {
                        let inv = 1 / l[r]
                        let dst = out + outBase + (r0 + r) * outStride, src = o + r * d
                        for j in 0..<d { dst[j] = src[j] * inv }
                        lse[(start + r0 + r) * heads + h] = m[r] + logf(l[r])
                    }
                    r0 += br
                }
            }
        }
    }

    /// Query rows [r0, r0+rows) of one (segment, head) against keys [c0, c0+cols): scores into s, online
    /// softmax into (m, l, o), then o += P·V.
    @inline(__always)
    static func forwardBlock(_ h: HeadView, r0: Int, rows: Int, c0: Int, cols: Int, m: UnsafeMutablePointer<Float>,
                             l: UnsafeMutablePointer<Float>, o: UnsafeMutablePointer<Float>,
                             s: UnsafeMutablePointer<Float>, ld: Int) {
        Matmul.gemm(transB: true, m: rows, n: cols, k: h.d, alpha: h.scale, a: h.q + r0 * h.rowStride, lda: h.rowStride,
                    b: h.k + c0 * h.rowStride, ldb: h.rowStride, beta: 0, c: s, ldc: ld)
        onlineSoftmaxTile(s: s, ld: ld, rows: rows, cols: cols, r0: r0, c0: c0, m: m, l: l, o: o, d: h.d)
        Matmul.gemm(m: rows, n: h.d, k: cols, a: s, lda: ld, b: h.v + c0 * h.rowStride, ldb: h.rowStride,
                    beta: 1, c: o, ldc: h.d)
    }

    /// Gradients of Σ dout∘out with respect to q, k, v (all three OVERWRITTEN), recomputing each tile's
    /// probabilities from q, k and the saved lse. Loops run over key tiles outside and query tiles inside.
    public static func backward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                out: UnsafePointer<Float>, dout: UnsafePointer<Float>, lse: UnsafePointer<Float>,
                                dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>,
                                dv: UnsafeMutablePointer<Float>, segmentStarts: [Int], heads: Int, headDim: Int,
                                scale: Float, workspace: UnsafeMutableBufferPointer<Float>,
                                tile: Int = defaultTile, keyTile: Int = defaultKeyTile, qkvStride: Int? = nil) throws {
        let tokens = try validate(segmentStarts, heads: heads, headDim: headDim, tile: tile, keyTile: keyTile)
        try checkWorkspace(workspace, need: backwardWorkspace(tokens, heads, tile, keyTile), tokens: tokens,
                           heads: heads, headDim: headDim, tile: tile, keyTile: keyTile)
        let d = headDim, outStride = heads * headDim, strip = min(diagonalStrip, tile)
        let rowStride = try checkStride(qkvStride, heads: heads, headDim: headDim)
        // Blocks have at most `tile` rows (strips are no taller) and at most `keyTile` columns.
        let p = workspace.baseAddress!, dp = p + tile * keyTile, delta = dp + tile * keyTile
        // D_i = rowsum(dO ∘ O): the softmax-Jacobian term shared by every key tile of row i.
        for t in 0..<(tokens * heads) {
            delta[t] = Float(Vector.dot(dout + t * d, out + t * d, count: d))
        }
        for t in 0..<tokens {
            Vector.zero(dq + t * rowStride, count: outStride)
            Vector.zero(dk + t * rowStride, count: outStride)
            Vector.zero(dv + t * rowStride, count: outStride)
        }
        for seg in 0..<(segmentStarts.count - 1) {
            let start = segmentStarts[seg], length = segmentStarts[seg + 1] - start
            for h in 0..<heads {
                let base = start * rowStride + h * d, outBase = start * outStride + h * d
                let view = HeadView(q: q + base, k: k + base, v: v + base, rowStride: rowStride, d: d, scale: scale)
                let grads = GradView(dout: dout + outBase, doutStride: outStride, dq: dq + base, dk: dk + base, dv: dv + base,
                                     lse: lse + start * heads + h, delta: delta + start * heads + h, heads: heads)
                var c0 = 0
                while c0 < length {
                    let bc = min(keyTile, length - c0)
                    // Rows c0 ..< c0+bc see a prefix of these keys: strips, each against the keys up to its last row.
                    var s0 = 0
                    while s0 < bc {
                        let sr = min(strip, bc - s0)
                        backwardBlock(view, grads, r0: c0 + s0, rows: sr, c0: c0, cols: s0 + sr, p: p, dp: dp, ld: keyTile)
                        s0 += sr
                    }
                    // Later rows see every key of the tile: whole query tiles, no mask.
                    var r0 = c0 + bc
                    while r0 < length {
                        let br = min(tile, length - r0)
                        backwardBlock(view, grads, r0: r0, rows: br, c0: c0, cols: bc, p: p, dp: dp, ld: keyTile)
                        r0 += br
                    }
                    c0 += bc
                }
            }
        }
    }

    /// Query rows [r0, r0+rows) against keys [c0, c0+cols) of one (segment, head): recompute P from the
    /// saved lse, then dV += Pᵀ·dO, dS = P∘(dO·Vᵀ − D), dQ += scale·dS·K, dK += scale·dSᵀ·Q.
    @inline(__always)
    static func backwardBlock(_ h: HeadView, _ g: GradView, r0: Int, rows: Int, c0: Int, cols: Int,
                              p: UnsafeMutablePointer<Float>, dp: UnsafeMutablePointer<Float>, ld: Int) {
        let rs = h.rowStride, d = h.d
        let ds = g.doutStride
        let qi = h.q + r0 * rs, doi = g.dout + r0 * ds, kj = h.k + c0 * rs, vj = h.v + c0 * rs
        Matmul.gemm(transB: true, m: rows, n: cols, k: d, alpha: h.scale, a: qi, lda: rs, b: kj, ldb: rs,
                    beta: 0, c: p, ldc: ld)
        probabilityTile(s: p, ld: ld, rows: rows, cols: cols, r0: r0, c0: c0, lse: g.lse + r0 * g.heads, lseStride: g.heads)
        Matmul.gemm(transA: true, m: cols, n: d, k: rows, a: p, lda: ld, b: doi, ldb: ds, beta: 1,
                    c: g.dv + c0 * rs, ldc: rs)
        Matmul.gemm(transB: true, m: rows, n: cols, k: d, a: doi, lda: ds, b: vj, ldb: rs, beta: 0, c: dp, ldc: ld)
        scoreGradientTile(p: p, dp: dp, ld: ld, rows: rows, cols: cols, r0: r0, c0: c0,
                          delta: g.delta + r0 * g.heads, deltaStride: g.heads)
        Matmul.gemm(m: rows, n: d, k: cols, alpha: h.scale, a: dp, lda: ld, b: kj, ldb: rs, beta: 1,
                    c: g.dq + r0 * rs, ldc: rs)
        Matmul.gemm(transA: true, m: cols, n: d, k: rows, alpha: h.scale, a: dp, lda: ld, b: qi, ldb: rs, beta: 1,
                    c: g.dk + c0 * rs, ldc: rs)
    }

    /// Causal attention FLOPs (multiply-adds counted as 2) of forward and backward for segments of these
    /// lengths: per head, forward runs 2 and backward 5 products of 2·D FLOPs on each of the l(l+1)/2 pairs.
    public static func flops(segmentLengths: [Int], heads: Int, headDim: Int) -> (forward: Double, backward: Double) {
        let pairs = segmentLengths.reduce(0.0) { $0 + Double($1) * Double($1 + 1) / 2 }
        let perProduct = 2 * Double(headDim) * pairs * Double(heads)
        return (2 * perProduct, 5 * perProduct)
    }

    /// Checks the segment list and shapes; returns T. Segments come from data, so they are validated.
    static func validate(_ starts: [Int], heads: Int, headDim: Int, tile: Int, keyTile: Int) throws -> Int {
        guard heads > 0, headDim > 0, tile > 0, keyTile > 0 else {
            throw DDError("attention: heads \(heads), headDim \(headDim), tiles \(tile)×\(keyTile) must all be positive "
                + "(fix: check model.dim and model.heads)")
        }
        guard let first = starts.first, first == 0, starts.count >= 2 else {
            throw DDError("attention: segmentStarts \(starts.prefix(4)) must start at 0 and hold count+1 >= 2 entries "
                + "(fix: build segmentStarts as [0, l0, l0+l1, ..., T])")
        }
        for i in 1..<starts.count where starts[i] < starts[i - 1] {
            throw DDError("attention: segmentStarts[\(i)] = \(starts[i]) is below segmentStarts[\(i - 1)] = "
                + "\(starts[i - 1]) (fix: segment offsets must be non-decreasing, ending at T)")
        }
        return starts[starts.count - 1]
    }

    /// The row stride of q, k, v (and their gradients): H·D unless the caller passes a wider one.
    static func checkStride(_ stride: Int?, heads: Int, headDim: Int) throws -> Int {
        guard let stride else { return heads * headDim }
        guard stride >= heads * headDim else {
            throw DDError("attention: qkvStride \(stride) is below heads·headDim = \(heads * headDim) "
                + "(fix: pass the row width of the fused q|k|v tensor, or nil for [T, H, D] inputs)")
        }
        return stride
    }

    /// The workspace is the caller's buffer, so a short one is reported instead of overrun.
    static func checkWorkspace(_ ws: UnsafeMutableBufferPointer<Float>, need: Int, tokens: Int, heads: Int,
                               headDim: Int, tile: Int, keyTile: Int) throws {
        if ws.count < need || ws.baseAddress == nil {
            throw DDError("attention: workspace holds \(ws.count) floats but \(tokens) tokens need \(need) "
                + "(fix: allocate Attention.workspaceFloats(maxTokens: \(tokens), heads: \(heads), headDim: \(headDim), tile: \(tile), keyTile: \(keyTile)))")
        }
    }
}

/// q, k, v of one (segment, head), offset to the segment's first token; rows are `rowStride` apart.
struct HeadView {
    let q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>
    let rowStride: Int, d: Int
    let scale: Float
}

/// dout, the gradients and the per-row lse and D of one (segment, head), offset like `HeadView`; dout rows
/// are `doutStride` apart, the gradients' rows `HeadView.rowStride`, lse and D rows `heads`.
struct GradView {
    let dout: UnsafePointer<Float>, doutStride: Int
    let dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>
    let lse: UnsafePointer<Float>, delta: UnsafePointer<Float>
    let heads: Int
}
