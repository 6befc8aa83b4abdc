#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Support

/// Causal self-attention over variable-length sequences packed end to end, in the FlashAttention scheme
/// (Dao et al., arXiv 2205.14135; backward as in FlashAttention-2, arXiv 2307.08691).
///
/// Shapes: q, k, v, out, dout, dq, dk, dv [T, H, D] (row stride H·D); lse [T, H]. Segment s covers tokens
/// segmentStarts[s] ..< segmentStarts[s+1]; a token attends to the tokens of its own segment at or before
/// it, never across segments. Query tiles of `tile` rows meet key tiles of `keyTile` rows; the tile products
/// run in cblas_sgemm straight on the strided head layout (ld = H·D), the softmax in SIMD code with an
/// online max/sum, so the [l, l] score matrix is never formed: extra memory is a few tiles plus O(T·H).
/// Tiles wholly above the diagonal are skipped; only tiles on the diagonal are masked.
public enum Attention {
    /// Query rows per tile used unless the caller picks another. 128 query rows × 512 keys measured best at
    /// D = 64 on Zen 4 (one BLAS thread): fwd+bwd 0.78–0.83 of sgemm 1024³ for l = 1k…8k, against 0.72–0.77
    /// with 128 × 128 and 0.70–0.80 with 256-row tiles. A 128 × 512 score tile (256 KiB) stays in L2.
    public static let defaultTile = 128
    /// Keys per tile used unless the caller picks another (see `defaultTile`).
    public static let defaultKeyTile = 512

    /// Floats of workspace that `forward` and `backward` need for up to `maxTokens` packed tokens.
    public static func workspaceFloats(maxTokens: Int, heads: Int, headDim: Int, tile: Int = defaultTile,
                                       keyTile: Int = defaultKeyTile) -> Int {
        max(forwardWorkspace(tile, keyTile, headDim), backwardWorkspace(maxTokens, heads, tile, keyTile))
    }

    /// Score tile, output accumulator, running max and running sum.
    static func forwardWorkspace(_ tile: Int, _ keyTile: Int, _ headDim: Int) -> Int {
        tile * keyTile + tile * headDim + 2 * tile
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
                               keyTile: Int = defaultKeyTile) throws {
        let tokens = try validate(segmentStarts, heads: heads, headDim: headDim, tile: tile, keyTile: keyTile)
        try checkWorkspace(workspace, need: forwardWorkspace(tile, keyTile, headDim), tokens: tokens, heads: heads,
                           headDim: headDim, tile: tile, keyTile: keyTile)
        let d = headDim, rowStride = heads * headDim
        let s = workspace.baseAddress!
        let o = s + tile * keyTile, m = o + tile * d, l = m + tile
        for seg in 0..<(segmentStarts.count - 1) {
            let start = segmentStarts[seg], length = segmentStarts[seg + 1] - start
            for h in 0..<heads {
                let base = start * rowStride + h * d
                var r0 = 0
                while r0 < length {
                    let br = min(tile, length - r0)
                    let qi = q + base + r0 * rowStride
                    m.update(repeating: -.infinity, count: br)
                    l.update(repeating: 0, count: br)
                    o.update(repeating: 0, count: br * d)
                    // Key tiles up to the last row of the query tile (causal); the last one is cut at that row.
                    var c0 = 0
                    while c0 < r0 + br {
                        let bc = min(keyTile, r0 + br - c0)
                        Matmul.gemm(transB: true, m: br, n: bc, k: d, alpha: scale, a: qi, lda: rowStride,
                                    b: k + base + c0 * rowStride, ldb: rowStride, beta: 0, c: s, ldc: keyTile)
                        onlineSoftmaxTile(s: s, ld: keyTile, rows: br, cols: bc, r0: r0, c0: c0, m: m, l: l, o: o, d: d)
                        Matmul.gemm(m: br, n: d, k: bc, a: s, lda: keyTile, b: v + base + c0 * rowStride, ldb: rowStride,
                                    beta: 1, c: o, ldc: d)
                        c0 += keyTile
                    }
                    for r in 0..<br {
                        let token = start + r0 + r
                        let inv = 1 / l[r]
                        let dst = out + base + (r0 + r) * rowStride, src = o + r * d
                        for j in 0..<d { dst[j] = src[j] * inv }
                        lse[token * heads + h] = m[r] + logf(l[r])
                    }
                    r0 += tile
                }
            }
        }
    }

    /// Gradients of Σ dout∘out with respect to q, k, v (all three OVERWRITTEN), recomputing each tile's
    /// probabilities from q, k and the saved lse. Loops run over key tiles outside and query tiles inside.
    public static func backward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                out: UnsafePointer<Float>, dout: UnsafePointer<Float>, lse: UnsafePointer<Float>,
                                dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>,
                                dv: UnsafeMutablePointer<Float>, segmentStarts: [Int], heads: Int, headDim: Int,
                                scale: Float, workspace: UnsafeMutableBufferPointer<Float>,
                                tile: Int = defaultTile, keyTile: Int = defaultKeyTile) throws {
        let tokens = try validate(segmentStarts, heads: heads, headDim: headDim, tile: tile, keyTile: keyTile)
        try checkWorkspace(workspace, need: backwardWorkspace(tokens, heads, tile, keyTile), tokens: tokens,
                           heads: heads, headDim: headDim, tile: tile, keyTile: keyTile)
        let d = headDim, rowStride = heads * headDim
        let p = workspace.baseAddress!, dp = p + tile * keyTile, delta = dp + tile * keyTile
        // D_i = rowsum(dO ∘ O): the softmax-Jacobian term shared by every key tile of row i.
        for t in 0..<(tokens * heads) {
            delta[t] = Float(Vector.dot(dout + t * d, out + t * d, count: d))
        }
        Vector.zero(dq, count: tokens * rowStride)
        Vector.zero(dk, count: tokens * rowStride)
        Vector.zero(dv, count: tokens * rowStride)
        for seg in 0..<(segmentStarts.count - 1) {
            let start = segmentStarts[seg], length = segmentStarts[seg + 1] - start
            for h in 0..<heads {
                let base = start * rowStride + h * d
                var c0 = 0
                while c0 < length {
                    let bcFull = min(keyTile, length - c0)
                    let kj = k + base + c0 * rowStride, vj = v + base + c0 * rowStride
                    let dkj = dk + base + c0 * rowStride, dvj = dv + base + c0 * rowStride
                    // Query tiles from row c0 (earlier rows see none of these keys) to the end of the segment;
                    // a tile cut by the diagonal only needs the keys up to its last row.
                    var r0 = c0
                    while r0 < length {
                        let br = min(tile, length - r0)
                        let bc = min(bcFull, r0 + br - c0)
                        let qi = q + base + r0 * rowStride, doi = dout + base + r0 * rowStride
                        let rowIndex = (start + r0) * heads + h
                        Matmul.gemm(transB: true, m: br, n: bc, k: d, alpha: scale, a: qi, lda: rowStride,
                                    b: kj, ldb: rowStride, beta: 0, c: p, ldc: keyTile)
                        probabilityTile(s: p, ld: keyTile, rows: br, cols: bc, r0: r0, c0: c0,
                                        lse: lse + rowIndex, lseStride: heads)
                        // dV_j += Pᵀ·dO_i
                        Matmul.gemm(transA: true, m: bc, n: d, k: br, a: p, lda: keyTile, b: doi, ldb: rowStride,
                                    beta: 1, c: dvj, ldc: rowStride)
                        // dP = dO_i·V_jᵀ, then dS = P∘(dP − D) in place
                        Matmul.gemm(transB: true, m: br, n: bc, k: d, a: doi, lda: rowStride, b: vj, ldb: rowStride,
                                    beta: 0, c: dp, ldc: keyTile)
                        scoreGradientTile(p: p, dp: dp, ld: keyTile, rows: br, cols: bc, r0: r0, c0: c0,
                                          delta: delta + rowIndex, deltaStride: heads)
                        // dQ_i += scale·dS·K_j and dK_j += scale·dSᵀ·Q_i
                        Matmul.gemm(m: br, n: d, k: bc, alpha: scale, a: dp, lda: keyTile, b: kj, ldb: rowStride,
                                    beta: 1, c: dq + base + r0 * rowStride, ldc: rowStride)
                        Matmul.gemm(transA: true, m: bc, n: d, k: br, alpha: scale, a: dp, lda: keyTile, b: qi,
                                    ldb: rowStride, beta: 1, c: dkj, ldc: rowStride)
                        r0 += tile
                    }
                    c0 += keyTile
                }
            }
        }
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

    /// The workspace is the caller's buffer, so a short one is reported instead of overrun.
    static func checkWorkspace(_ ws: UnsafeMutableBufferPointer<Float>, need: Int, tokens: Int, heads: Int,
                               headDim: Int, tile: Int, keyTile: Int) throws {
        if ws.count < need || ws.baseAddress == nil {
            throw DDError("attention: workspace holds \(ws.count) floats but \(tokens) tokens need \(need) "
                + "(fix: allocate Attention.workspaceFloats(maxTokens: \(tokens), heads: \(heads), headDim: \(headDim), tile: \(tile), keyTile: \(keyTile)))")
        }
    }
}
