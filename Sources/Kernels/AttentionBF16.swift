import CKernels
#if canImport(Glibc)
import Glibc
#endif

// Attention with bf16 operands and fp32 accumulation (precision bf16): the same blocks in the same order as the
// fp32 path (`AttentionSchedule`), the same fp32 online softmax, but every tile product on the AVX512-BF16 tile
// kernel (`dd_bf16_tile_product`). Each (segment, head) is first laid out once in bf16: q and dO row-major,
// Qᵀ and dOᵀ row-major over tokens, K and V in the VNNI pair layout both over the head dimension (for QKᵀ and
// dO·Vᵀ) and over tokens (for P·V and dS·K). The two products that reduce over query rows (dV and dK) are computed
// transposed, dVᵀ += dOᵀ·P and dKᵀ += Qᵀ·dS, so their B operand is the P or dS tile paired over adjacent rows — a
// cheap interleave of two rows, where Pᵀ and dSᵀ would need a full transpose per tile; dKᵀ and dVᵀ are transposed
// back once per head. Needs an even head dimension and even tile and strip heights (row pairs start on even rows).

/// Carves typed buffers out of a Float workspace in order, each starting on a 64-byte boundary; with no base it
/// only counts, so the size and the layout come from the same code.
struct WorkspaceCarver {
    let base: UnsafeMutablePointer<Float>?
    private(set) var used = 0

    init(_ base: UnsafeMutablePointer<Float>?) { self.base = base }

    mutating func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        let at = used
        used += (count + 15) / 16 * 16
        return base.map { $0 + at } ?? UnsafeMutablePointer(bitPattern: 64)!
    }

    mutating func halves(_ count: Int) -> UnsafeMutablePointer<UInt16> {
        let p = floats((count + 1) / 2)
        return UnsafeMutableRawPointer(p).assumingMemoryBound(to: UInt16.self)
    }
}

/// The bf16 buffers of one (segment, head) and the tile buffers, for `longest` tokens.
struct BF16HeadBuffers {
    let d: Int
    /// Tokens rounded up to even (row pairs), and the token stride of the panels packed over tokens.
    let pairedLength: Int
    var q, qT, dout, doutT, kOverD, kOverTokens, vOverD, vOverTokens: UnsafeMutablePointer<UInt16>
    /// A probability or score-gradient tile as bf16 rows, and the same paired over rows (VNNI, 16-key panels).
    var tileRows, tilePairs: UnsafeMutablePointer<UInt16>
    /// fp32 accumulators: dQ [l, D], dKᵀ and dVᵀ [D, l].
    var dq, dkT, dvT: UnsafeMutablePointer<Float>
    /// Row stride of `tileRows` (keys rounded up to even).
    let tileRowStride: Int

    init(_ carver: inout WorkspaceCarver, longest: Int, d: Int, tile: Int, keyTile: Int, backward: Bool) {
        self.d = d
        pairedLength = (longest + 1) / 2 * 2
        let tokenPanels = BF16Gemm.packedCount(k: longest, n: d), dPanels = BF16Gemm.packedCount(k: d, n: longest)
        let widest = max(tile, keyTile)
        tileRowStride = (widest + 1) / 2 * 2
        q = carver.halves(longest * d)
        kOverD = carver.halves(dPanels)
        vOverTokens = carver.halves(tokenPanels)
        tileRows = carver.halves(tile * tileRowStride)
        let n = backward ? 1 : 0
        qT = carver.halves(n * d * pairedLength)
        dout = carver.halves(n * longest * d)
        doutT = carver.halves(n * d * pairedLength)
        kOverTokens = carver.halves(n * tokenPanels)
        vOverD = carver.halves(n * dPanels)
        tilePairs = carver.halves(n * BF16Gemm.packedCount(k: tile, n: widest))
        dq = carver.floats(n * longest * d)
        dkT = carver.floats(n * d * longest)
        dvT = carver.floats(n * d * longest)
    }

    /// Panel stride of an operand packed over tokens (16 columns × tokens rounded up to 32).
    func tokenPanel(_ length: Int) -> Int { 16 * ((length + 31) / 32 * 32) }
    /// Panel stride of an operand packed over the head dimension.
    var dPanel: Int { 16 * ((d + 31) / 32 * 32) }
}

extension Attention {
    /// Floats of bf16 forward workspace: the fp32 score tile and softmax state, plus the bf16 head buffers.
    static func forwardWorkspaceBF16(_ tile: Int, _ keyTile: Int, _ headDim: Int, longest: Int) -> Int {
        var carver = WorkspaceCarver(nil)
        _ = carver.floats(tile * tileStride(max(tile, keyTile)) + tile * headDim + 2 * tile)
        _ = BF16HeadBuffers(&carver, longest: longest, d: headDim, tile: tile, keyTile: keyTile, backward: false)
        return carver.used
    }

    /// Floats of one worker's bf16 backward workspace: the fp32 P and dP tiles and the head buffers.
    static func backwardWorkspaceBF16(_ tile: Int, _ keyTile: Int, _ headDim: Int, longest: Int) -> Int {
        var carver = WorkspaceCarver(nil)
        _ = carver.floats(2 * tile * tileStride(keyTile))
        _ = BF16HeadBuffers(&carver, longest: longest, d: headDim, tile: tile, keyTile: keyTile, backward: true)
        return carver.used
    }

    /// The bf16 forward of head `h` of the segment of `length` tokens at `start`, query rows from `from` (a multiple
    /// of the tile) on, in one worker's workspace.
    static func forwardHeadBF16(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>, start: Int,
                                length: Int, from: Int, h: Int, shape: HeadShape, workspace: UnsafeMutablePointer<Float>) {
        let d = shape.d, heads = shape.heads, tile = shape.tile, keyTile = shape.keyTile, rowStride = shape.rowStride
        let outStride = heads * d, ld = tileStride(max(tile, keyTile)), strip = min(diagonalStrip, tile)
        var carver = WorkspaceCarver(workspace)
        let s = carver.floats(tile * ld + tile * d + 2 * tile)
        let o = s + tile * ld, m = o + tile * d, l = m + tile
        let b = BF16HeadBuffers(&carver, longest: shape.longest, d: d, tile: tile, keyTile: keyTile, backward: false)
        let tokenPanel = b.tokenPanel(length), scale = shape.scale
        let base = start * rowStride + h * d, outBase = start * outStride + h * d
        dd_bf16_convert_rows(q + base + from * rowStride, rowStride, length - from, d, d, b.q + from * d, d)
        dd_bf16_pack_b(k + base, d, length, 1, rowStride, b.kOverD)
        dd_bf16_pack_b(v + base, length, d, rowStride, 1, b.vOverTokens)
        AttentionSchedule.forward(length: length, from: from, tile: tile, keyTile: keyTile, strip: strip, begin: { _, br in
            beginQueryTile(rows: br, m: m, l: l, o: o, d: d)
        }, block: { r0, rows, c0, cols, offset in
            // S = scale·Q·Kᵀ, the fp32 online softmax, then O += P·V with P rounded to bf16.
            dd_bf16_tile_product(rows, cols, d, scale, b.q + r0 * d, d, b.kOverD + (c0 / 16) * b.dPanel,
                                 b.dPanel, s, ld, 0)
            // The sweep also writes P rounded to bf16 rows (zero up to an even width) for the next product.
            dd_online_softmax_tile_avx512(s, ld, rows, cols, r0, c0, m + offset, l + offset, o + offset * d, d,
                                          b.tileRows, b.tileRowStride)
            let paired = (cols + 1) / 2 * 2
            dd_bf16_tile_product(rows, d, paired, 1, b.tileRows, b.tileRowStride, b.vOverTokens + c0 * 16,
                                 tokenPanel, o + offset * d, d, 1)
        }, end: { r0, br in
            finishQueryTile(rows: br, m: m, l: l, o: o, d: d, out: out + outBase + r0 * outStride,
                            outStride: outStride, lse: lse + (start + r0) * heads + h, lseStride: heads)
        })
    }

    /// The bf16 backward of head `h` of the segment of `length` tokens at `start` over its first `keys` keys, in one
    /// worker's workspace (`delta` already holds rowsum(dO∘O)): dk and dv of those keys, dQ of those keys into `dq`.
    static func backwardHeadBF16(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                 dout: UnsafePointer<Float>, lse: UnsafePointer<Float>, delta: UnsafePointer<Float>,
                                 dq: QueryGradientTarget, dk: UnsafeMutablePointer<Float>,
                                 dv: UnsafeMutablePointer<Float>, start: Int, length: Int, keys: Int, h: Int,
                                 shape: HeadShape, workspace: UnsafeMutablePointer<Float>) {
        let d = shape.d, heads = shape.heads, tile = shape.tile, keyTile = shape.keyTile, rowStride = shape.rowStride
        let outStride = heads * d, strip = min(diagonalStrip, tile), ld = tileStride(keyTile), scale = shape.scale
        var carver = WorkspaceCarver(workspace)
        let p = carver.floats(2 * tile * ld), dp = p + tile * ld
        let b = BF16HeadBuffers(&carver, longest: shape.longest, d: d, tile: tile, keyTile: keyTile, backward: true)
        let tokenPanel = b.tokenPanel(keys), lp = b.pairedLength
        let base = start * rowStride + h * d, outBase = start * outStride + h * d
        dd_bf16_convert_rows(q + base, rowStride, length, d, d, b.q, d)
        dd_bf16_pack_a(q + base, 1, rowStride, d, d, length, lp, b.qT)
        dd_bf16_convert_rows(dout + outBase, outStride, length, d, d, b.dout, d)
        dd_bf16_pack_a(dout + outBase, 1, outStride, d, d, length, lp, b.doutT)
        dd_bf16_pack_b(k + base, d, keys, 1, rowStride, b.kOverD)
        dd_bf16_pack_b(k + base, keys, d, rowStride, 1, b.kOverTokens)
        dd_bf16_pack_b(v + base, d, keys, 1, rowStride, b.vOverD)
        Vector.zero(b.dq, count: length * d)
        Vector.zero(b.dkT, count: d * keys)
        Vector.zero(b.dvT, count: d * keys)
        let lseHead = lse + start * heads + h, deltaHead = delta + start * heads + h
        AttentionSchedule.backward(length: length, keys: keys, tile: tile, keyTile: keyTile,
                                   strip: strip) { r0, rows, c0, cols in
            let kd = b.kOverD + (c0 / 16) * b.dPanel, vd = b.vOverD + (c0 / 16) * b.dPanel
            dd_bf16_tile_product(rows, cols, d, scale, b.q + r0 * d, d, kd, b.dPanel, p, ld, 0)
            dd_bf16_tile_product(rows, cols, d, 1, b.dout + r0 * d, d, vd, b.dPanel, dp, ld, 0)
            // P and dS in place, and dS also as bf16 rows for dQ.
            dd_probability_score_gradient_tile_avx512(p, dp, ld, rows, cols, r0, c0, lseHead + r0 * heads,
                                                      deltaHead + r0 * heads, heads, b.tileRows, b.tileRowStride)
            let pairedRows = (rows + 1) / 2 * 2, pairedCols = (cols + 1) / 2 * 2
            let pairPanel = 16 * ((rows + 31) / 32 * 32)  // panel stride of a tile packed over its rows
            // dVᵀ[:, keys] += dOᵀ[:, rows]·P, P paired over rows.
            dd_bf16_pack_b(p, rows, cols, ld, 1, b.tilePairs)
            dd_bf16_tile_product(d, cols, pairedRows, 1, b.doutT + r0, lp, b.tilePairs, pairPanel,
                                 b.dvT + c0, keys, 1)
            // dQ[rows] += scale·dS·K, dS as bf16 rows.
            dd_bf16_tile_product(rows, d, pairedCols, scale, b.tileRows, b.tileRowStride,
                                 b.kOverTokens + c0 * 16, tokenPanel, b.dq + r0 * d, d, 1)
            // dKᵀ[:, keys] += scale·Qᵀ[:, rows]·dS, dS paired over rows.
            dd_bf16_pack_b(dp, rows, cols, ld, 1, b.tilePairs)
            dd_bf16_tile_product(d, cols, pairedRows, scale, b.qT + r0, lp, b.tilePairs, pairPanel,
                                 b.dkT + c0, keys, 1)
        }
        copyRows(b.dq, stride: d, rows: length, width: d, into: dq.rows, stride: dq.stride)
        transposeInto(b.dkT, rows: d, cols: keys, dk + base, stride: rowStride)
        transposeInto(b.dvT, rows: d, cols: keys, dv + base, stride: rowStride)
    }

    /// dst[c·stride + r] = src[r·cols + c]: a [rows, cols] accumulator back to token rows.
    static func transposeInto(_ src: UnsafePointer<Float>, rows: Int, cols: Int, _ dst: UnsafeMutablePointer<Float>,
                              stride: Int) {
        for c in 0..<cols {
            let row = dst + c * stride
            for r in 0..<rows { row[r] = src[r * cols + c] }
        }
    }
}
