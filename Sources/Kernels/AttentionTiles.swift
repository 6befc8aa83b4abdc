import CKernels

// Row-wise SIMD work on one attention tile, shared by Attention.forward and Attention.backward, and the copies
// between a head's strided rows and its contiguous panel.
//
// A tile is `rows` × `cols` floats at `s` with leading dimension `ld`; its row r is query r0 + r of the
// segment and its column c is key c0 + c. Causality within the segment keeps columns c ≤ r0 + r − c0, so
// each row has a valid prefix (`validPrefix`) and a masked suffix that is set to exactly 0: only tiles that
// straddle the diagonal have a suffix at all, fully masked tiles are never visited by the callers.
//
// At kernel level avx512 and above both sweeps run their AVX-512 forms (softmax_tiles_avx512.c: 16 lanes, masked
// tails, the same base-2 exponential); the Swift code below is the AVX2 form.
//
// The tile functions are `@inline(never)` on purpose: inlined into the large attention loops, the optimizer
// stopped inlining `vexp` into them and called it once per 8 elements (seen in the disassembly).

/// Number of keys row r of the tile may attend to (0 … cols).
@inline(__always)
func validPrefix(rowInSegment: Int, firstKey: Int, cols: Int) -> Int {
    min(cols, max(0, rowInSegment - firstKey + 1))
}

/// Online-softmax update for one key tile (forward): for each row, folds the tile's scores into the running
/// max m and running sum l, turns the scores into unnormalised probabilities P = exp(S − m_new) in place,
/// and rescales the row's output accumulator o (width d) by exp(m_old − m_new). The running max is kept in
/// base-2 units (m = max S·log₂e), so each probability is one FMA and one `vexp2`.
@inline(never)
func onlineSoftmaxTile(s: UnsafeMutablePointer<Float>, ld: Int, rows: Int, cols: Int, r0: Int, c0: Int,
                       m: UnsafeMutablePointer<Float>, l: UnsafeMutablePointer<Float>,
                       o: UnsafeMutablePointer<Float>, d: Int) {
    if KernelDispatch.level >= .avx512 {
        dd_online_softmax_tile_avx512(s, ld, rows, cols, r0, c0, m, l, o, d, nil, 0)
        return
    }
    let scaleToBase2 = SIMD8<Float>(repeating: log2e)
    for r in 0..<rows {
        let row = s + r * ld
        let valid = validPrefix(rowInSegment: r0 + r, firstKey: c0, cols: cols)
        var mv = SIMD8<Float>(repeating: -.infinity)
        var c = 0
        while c + 8 <= valid { mv = vmax(mv, load8(row + c)); c += 8 }
        var mx = hmax(mv)
        while c < valid { mx = max(mx, row[c]); c += 1 }
        let mOld = m[r]
        let mNew = max(mOld, mx * log2e)
        let shift = SIMD8<Float>(repeating: -mNew)
        var acc = SIMD8<Float>()
        c = 0
        while c + 8 <= valid {
            let p = vexp2(shift.addingProduct(load8(row + c), scaleToBase2))
            store8(p, row + c)
            acc += p
            c += 8
        }
        var sum = acc.sum()
        while c < valid { let p = sexp2((-mNew).addingProduct(row[c], log2e)); row[c] = p; sum += p; c += 1 }
        if valid < cols { (row + valid).update(repeating: 0, count: cols - valid) }
        // The first tile has mOld = −inf: alpha is 0 and the (zeroed) accumulator stays 0.
        let alpha = mOld == -.infinity ? 0 : sexp2(mOld - mNew)
        l[r] = l[r] * alpha + sum
        m[r] = mNew
        if alpha != 1 { Vector.scale(o + r * d, count: d, by: alpha) }
    }
}

/// Backward recomputation, in one sweep over a tile: P = exp(S − lse_row) in place of the scores in `s`, and
/// dS = P ∘ (dP − D_row) in place of dP in `dp` (D_row = rowsum(dO ∘ O)). `lse` (natural-log) and `delta` are
/// strided, one value per token `stride` apart for the head being processed. Masked entries come out 0 in both.
@inline(never)
func probabilityAndScoreGradientTile(s: UnsafeMutablePointer<Float>, dp: UnsafeMutablePointer<Float>, ld: Int,
                                     rows: Int, cols: Int, r0: Int, c0: Int, lse: UnsafePointer<Float>,
                                     delta: UnsafePointer<Float>, stride: Int) {
    if KernelDispatch.level >= .avx512 {
        dd_probability_score_gradient_tile_avx512(s, dp, ld, rows, cols, r0, c0, lse, delta, stride, nil, 0)
        return
    }
    let scaleToBase2 = SIMD8<Float>(repeating: log2e)
    for r in 0..<rows {
        let srow = s + r * ld, drow = dp + r * ld
        let valid = validPrefix(rowInSegment: r0 + r, firstKey: c0, cols: cols)
        let shift = lse[r * stride] * log2e, dr = delta[r * stride]
        let negShift = SIMD8<Float>(repeating: -shift), dv = SIMD8<Float>(repeating: dr)
        var c = 0
        while c + 8 <= valid {
            let p = vexp2(negShift.addingProduct(load8(srow + c), scaleToBase2))
            store8(p, srow + c)
            store8(p * (load8(drow + c) - dv), drow + c)
            c += 8
        }
        while c < valid {
            let p = sexp2((-shift).addingProduct(srow[c], log2e))
            srow[c] = p
            drow[c] = p * (drow[c] - dr)
            c += 1
        }
        if valid < cols {
            (srow + valid).update(repeating: 0, count: cols - valid)
            (drow + valid).update(repeating: 0, count: cols - valid)
        }
    }
}

/// Copies `rows` rows of `width` floats from rows `sourceStride` apart to rows `destinationStride` apart: a head's
/// strided rows into its contiguous panel (destinationStride = width) and back.
@inline(__always)
func copyRows(_ source: UnsafePointer<Float>, stride sourceStride: Int, rows: Int, width: Int,
              into destination: UnsafeMutablePointer<Float>, stride destinationStride: Int) {
    for r in 0..<rows { (destination + r * destinationStride).update(from: source + r * sourceStride, count: width) }
}
