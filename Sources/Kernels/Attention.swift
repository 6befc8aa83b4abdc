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
/// it, never across segments.
///
/// Each (segment, head) is first laid out in contiguous panels: q (and dO) row-major [l, D], k and v both
/// row-major and packed as 16-key transposed panels (`packPanels`), so the products of every tile read
/// contiguous memory and the keys are packed once per head (cblas_sgemm repacked both operands of every tile
/// product: 8–12% of attention time, measured). Query tiles of `tile`
/// rows meet key tiles of `keyTile` keys; the tile products run on the SIMD micro-kernel of `tileProduct`, the
/// softmax in SIMD code with an online max/sum, so the [l, l] score matrix is never formed: extra memory is a
/// few tiles, O(T·H) row statistics and the panels of one (segment, head), O(l·D). Blocks wholly above the
/// diagonal are never visited; blocks off the diagonal run unmasked; the diagonal block of each tile is done
/// in strips of `diagonalStrip` rows and is the only place a mask is applied.
public enum Attention {
    /// Query rows per tile used unless the caller picks another (a multiple of 16, and of the micro-kernel's
    /// 6 rows). Measured with `ddtrain bench attention` (D = 64, 6 heads, 2 × 4,096 tokens, Zen 4, one thread),
    /// forward+backward as a fraction of sgemm, credited FLOPs: 96 × 512 0.76, 48 × 512 0.74, 192 × 512 0.73,
    /// 96 × 256 0.75, 144 × 384 0.75, 96 × 1024 0.67 (the 96 × 1024 score tiles no longer stay in L2).
    public static let defaultTile = 96
    /// Keys per tile used unless the caller picks another (a multiple of 16). A 96 × 512 score tile is 192 KiB
    /// and stays in L2 next to the key panels it is computed from.
    public static let defaultKeyTile = 512

    /// Rows per strip on the diagonal. A block that straddles the diagonal is processed in strips of this
    /// many query rows, each against the keys up to its own last row, so the work spent on masked entries is
    /// a strip²/2 triangle per strip rather than tile²/2 per tile. A multiple of the micro-kernel's 6 rows.
    static let diagonalStrip = 24

    /// Floats of workspace that `forward` and `backward` need for up to `maxTokens` packed tokens on a pool of
    /// `workers` threads (each worker gets its own slot of tiles and head panels; the backward also keeps the
    /// dQ partials of cut segments, see AttentionItems.swift). Both precisions fit.
    public static func workspaceFloats(maxTokens: Int, heads: Int, headDim: Int, tile: Int = defaultTile,
                                       keyTile: Int = defaultKeyTile, workers: Int = 1) -> Int {
        max(workers * forwardSlot(tile, keyTile, headDim, longest: maxTokens),
            padded(maxTokens * heads) + workers * backwardSlot(tile, keyTile, headDim, longest: maxTokens)
                + partialFloats(maxTokens: maxTokens, heads: heads, d: headDim))
    }

    /// `count` rounded up to 16 floats, so every slot starts on a 64-byte boundary.
    static func padded(_ count: Int) -> Int { (count + 15) / 16 * 16 }
    /// One worker's forward workspace, in either precision.
    static func forwardSlot(_ tile: Int, _ keyTile: Int, _ d: Int, longest: Int) -> Int {
        padded(max(forwardWorkspace(tile, keyTile, d, longest: longest),
                   forwardWorkspaceBF16(tile, keyTile, d, longest: longest)))
    }
    /// One worker's backward workspace, in either precision (D = rowsum(dO∘O) is shared and sits before the slots).
    static func backwardSlot(_ tile: Int, _ keyTile: Int, _ d: Int, longest: Int) -> Int {
        padded(max(backwardWorkspace(tile, keyTile, d, longest: longest),
                   backwardWorkspaceBF16(tile, keyTile, d, longest: longest)))
    }

    /// Row stride of a score tile `columns` wide: 16 floats more, so that walking down a column (the transposed
    /// reads of PᵀdO and dSᵀQ) does not land every row in the same L1 sets, as a power-of-two stride does.
    static func tileStride(_ columns: Int) -> Int { columns + 16 }

    /// Floats of one panel for a segment of `longest` tokens: packed 16-key panels, or row-major with 16 floats
    /// of slack (`tileProduct` reads whole 16-column panels of B).
    static func panelFloats(_ longest: Int, _ headDim: Int) -> Int {
        packedPanelFloats(count: longest, width: headDim) + 16
    }
    /// Score tile (tile × max(tile, keyTile): diagonal strips reach tile keys), output accumulator, running
    /// max and running sum, and the q, packed k and v panels of the longest segment.
    static func forwardWorkspace(_ tile: Int, _ keyTile: Int, _ headDim: Int, longest: Int) -> Int {
        tile * tileStride(max(tile, keyTile)) + tile * headDim + 2 * tile + 3 * panelFloats(longest, headDim)
    }
    /// Probability tile, score-gradient tile, and the q, k, packed k, packed v, dO, dQ, dK, dV panels of the
    /// longest segment.
    static func backwardWorkspace(_ tile: Int, _ keyTile: Int, _ headDim: Int, longest: Int) -> Int {
        2 * tile * tileStride(keyTile) + 8 * panelFloats(longest, headDim)
    }

    /// out = softmax(scale·QKᵀ + causal segment mask)·V per head; lse[t, h] = log Σ_j exp(scale·q_t·k_j).
    /// The (segment, head) items, segments longer than `pieceLength` cut into pieces of query rows
    /// (AttentionItems.swift), run on `pool`, each worker in its own slot of `workspace`.
    public static func forward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                               out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>,
                               segmentStarts: [Int], heads: Int, headDim: Int, scale: Float,
                               workspace: UnsafeMutableBufferPointer<Float>, tile: Int = defaultTile,
                               keyTile: Int = defaultKeyTile, qkvStride: Int? = nil, precision: Precision = .fp32,
                               pieceLength: Int = defaultPieceLength, pool: WorkerPool = .serial) throws {
        let tokens = try validate(segmentStarts, heads: heads, headDim: headDim, tile: tile, keyTile: keyTile,
                                  pieceLength: pieceLength)
        let longest = longestSegment(segmentStarts)
        let rowStride = try checkStride(qkvStride, heads: heads, headDim: headDim)
        if precision == .bf16 { try checkBF16(headDim: headDim) }
        let slot = forwardSlot(tile, keyTile, headDim, longest: longest)
        try checkWorkspace(workspace, need: pool.threads * slot, tokens: tokens, heads: heads, headDim: headDim,
                           tile: tile, keyTile: keyTile, workers: pool.threads)
        let items = forwardItems(segmentStarts, heads: heads, tile: tile, pieceLength: pieceLength)
        let base = workspace.baseAddress!
        let shape = HeadShape(heads: heads, d: headDim, scale: scale, tile: tile, keyTile: keyTile, rowStride: rowStride,
                              longest: longest)
        pool.run(items: items.count) { i, worker in
            let item = items[i], ws = base + worker * slot
            // Query rows [from, to) need the keys up to `to`: the head truncated there.
            if precision == .bf16 {
                forwardHeadBF16(q: q, k: k, v: v, out: out, lse: lse, start: item.start, length: item.to,
                                from: item.from, h: item.head, shape: shape, workspace: ws)
            } else {
                forwardHead(q: q, k: k, v: v, out: out, lse: lse, start: item.start, length: item.to, from: item.from,
                            h: item.head, shape: shape, workspace: ws)
            }
        }
    }

    /// The fp32 forward of head `h` of the segment of `length` tokens at `start`, query rows from `from` (a multiple
    /// of the tile) on, in one worker's workspace.
    static func forwardHead(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                            out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>, start: Int, length: Int,
                            from: Int, h: Int, shape: HeadShape, workspace s: UnsafeMutablePointer<Float>) {
        let d = shape.d, heads = shape.heads, tile = shape.tile, keyTile = shape.keyTile, rowStride = shape.rowStride
        let outStride = heads * d, ld = tileStride(max(tile, keyTile)), strip = min(diagonalStrip, tile)
        let o = s + tile * ld, m = o + tile * d, l = m + tile
        let panel = panelFloats(shape.longest, d)
        let qh = l + tile, kp = qh + panel, vh = kp + panel
        let base = start * rowStride + h * d, outBase = start * outStride + h * d
        copyRows(q + base + from * rowStride, stride: rowStride, rows: length - from, width: d, into: qh + from * d,
                 stride: d)
        packPanels(k + base, stride: rowStride, count: length, width: d, into: kp)
        copyRows(v + base, stride: rowStride, rows: length, width: d, into: vh, stride: d)
        let view = HeadPanels(q: qh, kPacked: kp, v: vh, d: d, scale: shape.scale)
        AttentionSchedule.forward(length: length, from: from, tile: tile, keyTile: keyTile, strip: strip, begin: { _, br in
            beginQueryTile(rows: br, m: m, l: l, o: o, d: d)
        }, block: { r0, rows, c0, cols, offset in
            forwardBlock(view, r0: r0, rows: rows, c0: c0, cols: cols, m: m + offset, l: l + offset,
                         o: o + offset * d, s: s, ld: ld)
        }, end: { r0, br in
            finishQueryTile(rows: br, m: m, l: l, o: o, d: d, out: out + outBase + r0 * outStride,
                            outStride: outStride, lse: lse + (start + r0) * heads + h, lseStride: heads)
        })
    }

    /// Resets a query tile's running max, running sum and output accumulator.
    @inline(__always)
    static func beginQueryTile(rows: Int, m: UnsafeMutablePointer<Float>, l: UnsafeMutablePointer<Float>,
                               o: UnsafeMutablePointer<Float>, d: Int) {
        m.update(repeating: -.infinity, count: rows)
        l.update(repeating: 0, count: rows)
        o.update(repeating: 0, count: rows * d)
    }

    /// Writes a finished query tile: out = o / l per row, lse = m (base-2 units, see onlineSoftmaxTile) + log l.
    @inline(__always)
    static func finishQueryTile(rows: Int, m: UnsafePointer<Float>, l: UnsafePointer<Float>, o: UnsafePointer<Float>,
                                d: Int, out: UnsafeMutablePointer<Float>, outStride: Int, lse: UnsafeMutablePointer<Float>,
                                lseStride: Int) {
        for r in 0..<rows {
            let inv = 1 / l[r]
            let dst = out + r * outStride, src = o + r * d
            for j in 0..<d { dst[j] = src[j] * inv }
            lse[r * lseStride] = m[r] / log2e + logf(l[r])
        }
    }

    /// Query rows [r0, r0+rows) of one (segment, head) against keys [c0, c0+cols) (c0 a multiple of 16): scores
    /// into s, online softmax into (m, l, o), then o += P·V.
    @inline(__always)
    static func forwardBlock(_ h: HeadPanels, r0: Int, rows: Int, c0: Int, cols: Int, m: UnsafeMutablePointer<Float>,
                             l: UnsafeMutablePointer<Float>, o: UnsafeMutablePointer<Float>,
                             s: UnsafeMutablePointer<Float>, ld: Int) {
        let d = h.d
        tileProduct(m: rows, n: cols, k: d, alpha: h.scale, a: h.q + r0 * d, aRow: d, aDepth: 1,
                    b: h.kPacked + c0 * d, ldb: 16, bPanel: 16 * d, c: s, ldc: ld, accumulate: false)
        onlineSoftmaxTile(s: s, ld: ld, rows: rows, cols: cols, r0: r0, c0: c0, m: m, l: l, o: o, d: d)
        tileProduct(m: rows, n: d, k: cols, alpha: 1, a: s, aRow: ld, aDepth: 1,
                    b: h.v + c0 * d, ldb: d, bPanel: 16, c: o, ldc: d, accumulate: true)
    }

    /// Gradients of Σ dout∘out with respect to q, k, v (all three OVERWRITTEN), recomputing each tile's
    /// probabilities from q, k and the saved lse. Loops run over key tiles outside and query tiles inside. The
    /// (segment, head) items, segments longer than `pieceLength` cut into pieces of keys, run on `pool`; each
    /// writes only its own head's dk and dv rows, and dq or its piece's dq partial, which are then added in key order
    /// (AttentionItems.swift), so no sum depends on which worker ran what.
    public static func backward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                out: UnsafePointer<Float>, dout: UnsafePointer<Float>, lse: UnsafePointer<Float>,
                                dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>,
                                dv: UnsafeMutablePointer<Float>, segmentStarts: [Int], heads: Int, headDim: Int,
                                scale: Float, workspace: UnsafeMutableBufferPointer<Float>,
                                tile: Int = defaultTile, keyTile: Int = defaultKeyTile, qkvStride: Int? = nil,
                                precision: Precision = .fp32, pieceLength: Int = defaultPieceLength,
                                pool: WorkerPool = .serial) throws {
        let tokens = try validate(segmentStarts, heads: heads, headDim: headDim, tile: tile, keyTile: keyTile,
                                  pieceLength: pieceLength)
        let longest = longestSegment(segmentStarts)
        if precision == .bf16 { try checkBF16(headDim: headDim) }
        let d = headDim
        let (items, partialCount, laterPieces) = backwardItems(segmentStarts, heads: heads, d: d, keyTile: keyTile,
                                                               pieceLength: pieceLength)
        let slot = backwardSlot(tile, keyTile, headDim, longest: longest), shared = padded(tokens * heads)
        try checkWorkspace(workspace, need: shared + pool.threads * slot + partialCount, tokens: tokens, heads: heads,
                           headDim: headDim, tile: tile, keyTile: keyTile, workers: pool.threads)
        let rowStride = try checkStride(qkvStride, heads: heads, headDim: headDim)
        let delta = workspace.baseAddress!, slots = delta + shared, partials = slots + pool.threads * slot
        // D_i = rowsum(dO ∘ O): the softmax-Jacobian term shared by every key tile of row i.
        pool.ranges(count: tokens * heads) { rows in
            for t in rows { delta[t] = Float(Vector.dot(dout + t * d, out + t * d, count: d)) }
        }
        let shape = HeadShape(heads: heads, d: d, scale: scale, tile: tile, keyTile: keyTile, rowStride: rowStride,
                              longest: longest)
        pool.run(items: items.count) { i, worker in
            // Keys [from, to) meet query rows [from, length): the head from `from` on, keys limited to to − from.
            let item = items[i], ws = slots + worker * slot
            let start = item.start + item.from, length = item.length - item.from, keys = item.to - item.from
            let target = item.partial < 0
                ? QueryGradientTarget(rows: dq + start * rowStride + item.head * d, stride: rowStride)
                : QueryGradientTarget(rows: partials + item.partial, stride: d)
            if precision == .bf16 {
                backwardHeadBF16(q: q, k: k, v: v, dout: dout, lse: lse, delta: delta, dq: target, dk: dk, dv: dv,
                                 start: start, length: length, keys: keys, h: item.head, shape: shape, workspace: ws)
            } else {
                backwardHead(q: q, k: k, v: v, dout: dout, lse: lse, delta: delta, dq: target, dk: dk, dv: dv,
                             start: start, length: length, keys: keys, h: item.head, shape: shape, workspace: ws)
            }
        }
        addQueryPartials(laterPieces, partials: partials, dq: dq, d: d, rowStride: rowStride, pool: pool)
    }

    /// The fp32 backward of head `h` of the segment of `length` tokens at `start` over its first `keys` keys, in one
    /// worker's workspace: dk and dv of those keys, and dQ (of those keys only) into `dq`.
    static func backwardHead(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                             dout: UnsafePointer<Float>, lse: UnsafePointer<Float>, delta: UnsafePointer<Float>,
                             dq: QueryGradientTarget, dk: UnsafeMutablePointer<Float>,
                             dv: UnsafeMutablePointer<Float>, start: Int, length: Int, keys: Int, h: Int,
                             shape: HeadShape, workspace p: UnsafeMutablePointer<Float>) {
        let d = shape.d, heads = shape.heads, tile = shape.tile, keyTile = shape.keyTile, rowStride = shape.rowStride
        let outStride = heads * d, strip = min(diagonalStrip, tile)
        // Blocks have at most `tile` rows (strips are no taller) and at most `keyTile` columns.
        let ld = tileStride(keyTile)
        let dp = p + tile * ld
        let panel = panelFloats(shape.longest, d)
        let qh = dp + tile * ld, kh = qh + panel, kp = kh + panel, vp = kp + panel, doh = vp + panel
        let dqh = doh + panel, dkh = dqh + panel, dvh = dkh + panel
        let base = start * rowStride + h * d, outBase = start * outStride + h * d
        copyRows(q + base, stride: rowStride, rows: length, width: d, into: qh, stride: d)
        copyRows(k + base, stride: rowStride, rows: keys, width: d, into: kh, stride: d)
        packPanels(k + base, stride: rowStride, count: keys, width: d, into: kp)
        packPanels(v + base, stride: rowStride, count: keys, width: d, into: vp)
        copyRows(dout + outBase, stride: outStride, rows: length, width: d, into: doh, stride: d)
        Vector.zero(dqh, count: length * d)
        Vector.zero(dkh, count: keys * d)
        Vector.zero(dvh, count: keys * d)
        let view = GradPanels(q: qh, k: kh, kPacked: kp, vPacked: vp, dout: doh, dq: dqh, dk: dkh, dv: dvh,
                              lse: lse + start * heads + h, delta: delta + start * heads + h, heads: heads,
                              d: d, scale: shape.scale)
        AttentionSchedule.backward(length: length, keys: keys, tile: tile, keyTile: keyTile,
                                   strip: strip) { r0, rows, c0, cols in
            backwardBlock(view, r0: r0, rows: rows, c0: c0, cols: cols, p: p, dp: dp, ld: ld)
        }
        copyRows(dqh, stride: d, rows: length, width: d, into: dq.rows, stride: dq.stride)
        copyRows(dkh, stride: d, rows: keys, width: d, into: dk + base, stride: rowStride)
        copyRows(dvh, stride: d, rows: keys, width: d, into: dv + base, stride: rowStride)
    }

    /// Query rows [r0, r0+rows) against keys [c0, c0+cols) (c0 a multiple of 16) of one (segment, head):
    /// S = scale·Q·Kᵀ and dP = dO·Vᵀ, then P = exp(S − lse) and dS = P∘(dP − D) in one sweep, then
    /// dV += Pᵀ·dO, dQ += scale·dS·K, dK += scale·dSᵀ·Q.
    @inline(__always)
    static func backwardBlock(_ h: GradPanels, r0: Int, rows: Int, c0: Int, cols: Int,
                              p: UnsafeMutablePointer<Float>, dp: UnsafeMutablePointer<Float>, ld: Int) {
        let d = h.d
        let qi = h.q + r0 * d, doi = h.dout + r0 * d
        tileProduct(m: rows, n: cols, k: d, alpha: h.scale, a: qi, aRow: d, aDepth: 1,
                    b: h.kPacked + c0 * d, ldb: 16, bPanel: 16 * d, c: p, ldc: ld, accumulate: false)
        tileProduct(m: rows, n: cols, k: d, alpha: 1, a: doi, aRow: d, aDepth: 1,
                    b: h.vPacked + c0 * d, ldb: 16, bPanel: 16 * d, c: dp, ldc: ld, accumulate: false)
        probabilityAndScoreGradientTile(s: p, dp: dp, ld: ld, rows: rows, cols: cols, r0: r0, c0: c0,
                                        lse: h.lse + r0 * h.heads, delta: h.delta + r0 * h.heads, stride: h.heads)
        tileProduct(m: cols, n: d, k: rows, alpha: 1, a: p, aRow: 1, aDepth: ld,
                    b: doi, ldb: d, bPanel: 16, c: h.dv + c0 * d, ldc: d, accumulate: true)
        tileProduct(m: rows, n: d, k: cols, alpha: h.scale, a: dp, aRow: ld, aDepth: 1,
                    b: h.k + c0 * d, ldb: d, bPanel: 16, c: h.dq + r0 * d, ldc: d, accumulate: true)
        tileProduct(m: cols, n: d, k: rows, alpha: h.scale, a: dp, aRow: 1, aDepth: ld,
                    b: qi, ldb: d, bPanel: 16, c: h.dk + c0 * d, ldc: d, accumulate: true)
    }

    /// Causal attention FLOPs (multiply-adds counted as 2) of forward and backward for segments of these
    /// lengths: per head, forward runs 2 and backward 5 products of 2·D FLOPs on each of the l(l+1)/2 pairs.
    public static func flops(segmentLengths: [Int], heads: Int, headDim: Int) -> (forward: Double, backward: Double) {
        let pairs = segmentLengths.reduce(0.0) { $0 + Double($1) * Double($1 + 1) / 2 }
        let perProduct = 2 * Double(headDim) * pairs * Double(heads)
        return (2 * perProduct, 5 * perProduct)
    }

    /// Checks the segment list and shapes; returns T. Segments come from data, so they are validated.
    static func validate(_ starts: [Int], heads: Int, headDim: Int, tile: Int, keyTile: Int,
                         pieceLength: Int = defaultPieceLength) throws -> Int {
        guard heads > 0, headDim > 0, tile > 0, keyTile > 0 else {
            throw DDError("attention: heads \(heads), headDim \(headDim), tiles \(tile)×\(keyTile) must all be positive "
                + "(fix: check model.dim and model.heads)")
        }
        guard pieceLength > 0 else {
            throw DDError("attention: pieceLength \(pieceLength) must be positive (fix: leave it at the default)")
        }
        guard tile % 16 == 0, keyTile % 16 == 0 else {
            throw DDError("attention: tiles \(tile)×\(keyTile) must be multiples of 16 (the width of a packed key panel) "
                + "(fix: pick tile and keyTile among 16, 32, 48, …)")
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

    /// Length of the longest segment (0 for an all-empty list).
    static func longestSegment(_ starts: [Int]) -> Int {
        var longest = 0
        for i in 1..<max(1, starts.count) { longest = max(longest, starts[i] - starts[i - 1]) }
        return longest
    }

    /// bf16 attention needs the AVX512-BF16 tile kernel and an even head dimension (operands go in pairs).
    static func checkBF16(headDim: Int) throws {
        guard KernelDispatch.level >= .avx512bf16 else {
            throw DDError("attention: precision bf16 needs AVX512-BF16 and the kernel level is \(KernelDispatch.level.name) "
                + "(fix: use precision fp32 on this CPU)")
        }
        guard headDim % 2 == 0 else {
            throw DDError("attention: precision bf16 needs an even head dimension, not \(headDim) (fix: pick model.dim "
                + "and model.heads so that dim / heads is even, or use precision fp32)")
        }
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
                               headDim: Int, tile: Int, keyTile: Int, workers: Int) throws {
        if ws.count < need || ws.baseAddress == nil {
            throw DDError("attention: workspace holds \(ws.count) floats but \(tokens) tokens on \(workers) worker(s) need "
                + "\(need) (fix: allocate Attention.workspaceFloats(maxTokens: \(tokens), heads: \(heads), headDim: \(headDim), "
                + "tile: \(tile), keyTile: \(keyTile), workers: \(workers)))")
        }
    }
}

/// The shape of every (segment, head) item of one attention call.
struct HeadShape {
    let heads: Int, d: Int
    let scale: Float
    let tile: Int, keyTile: Int, rowStride: Int
    /// The longest segment: it sizes every worker's panels.
    let longest: Int
}

/// Where a backward item puts its dQ rows: the dq tensor (row stride H·D or the fused stride) or a partial.
struct QueryGradientTarget {
    let rows: UnsafeMutablePointer<Float>
    let stride: Int
}

/// The forward's panels of one (segment, head): q and v row-major [l, D], k packed (`packPanels`).
struct HeadPanels {
    let q: UnsafePointer<Float>, kPacked: UnsafePointer<Float>, v: UnsafePointer<Float>
    let d: Int
    let scale: Float
}

/// The backward's panels of one (segment, head): q, k, dO and the gradients row-major [l, D], k and v packed;
/// lse and D are offset to the segment's first token and head, `heads` apart.
struct GradPanels {
    let q: UnsafePointer<Float>, k: UnsafePointer<Float>, kPacked: UnsafePointer<Float>, vPacked: UnsafePointer<Float>
    let dout: UnsafePointer<Float>
    let dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>
    let lse: UnsafePointer<Float>, delta: UnsafePointer<Float>
    let heads: Int, d: Int
    let scale: Float
}
