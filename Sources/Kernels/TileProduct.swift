import CKernels

// The matrix products inside attention tiles, on a register-blocked SIMD micro-kernel instead of cblas_sgemm.
//
// Attention's products are small (a 96 × 512 score tile over D = 64, or D-wide accumulations over 512 keys) and
// run thousands of times per head; cblas_sgemm repacks both operands on every call. Measured on Zen 4 with one
// thread (OpenBLAS 0.3 picks its HASWELL kernel there): OpenBLAS's operand copies took 8–12% of attention time,
// and on the three shapes below OpenBLAS ran at 113–117 GFLOP/s where this kernel runs at 125–127 GFLOP/s (the
// 2048³ sgemm reference: ~120). The key and value operands are laid out once per (segment, head) by the caller
// (`packPanels`, `copyRows`) and reused by every query tile.
//
// One kernel covers all three shapes through strides: C[6 × 16] (+)= alpha · A[6 × k] · B[k × 16], with
// A(i, kk) = a[i·aRow + kk·aDepth] (so A may be read transposed) and B given as 16-column panels whose rows are
// `ldb` apart: either a row-major matrix (panel p at b + 16·p, ldb = its width) or K/V packed by `packPanels`
// (panel p at b + 16·k·p, ldb = 16). 6 × 16 keeps 12 accumulators, two B vectors and one broadcast in the 16
// AVX2 registers; each depth step is 12 FMAs for two loads and six broadcasts.

/// C[m, n] = alpha · A·B, or C += alpha · A·B with `accumulate`; C row-major with leading dimension ldc.
///
/// Runs the AVX-512 variant (`dd_tile_product_f32_avx512`, 6 × 64 block on 32 zmm registers) at kernel level
/// avx512 and above, this file's AVX2 block below it (`KernelDispatch.level`); both have the contract below.
///
/// A(i, kk) = a[i·aRow + kk·aDepth]; B's 16-column panel p starts at b + p·bPanel with its row kk at + kk·ldb.
/// Reads: every A(i, kk) for i < m, kk < k, and all 16 columns of each B panel touched (columns ≥ n of the last
/// panel are read and ignored, so B must be readable up to there: pad row-major operands by 16 floats).
/// Writes: exactly C[i, j] for i < m, j < n.
@inline(__always)
func tileProduct(m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, aRow: Int, aDepth: Int,
                 b: UnsafePointer<Float>, ldb: Int, bPanel: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                 accumulate: Bool) {
    if KernelDispatch.level >= .avx512 {
        dd_tile_product_f32_avx512(m, n, k, alpha, a, aRow, aDepth, b, ldb, bPanel, c, ldc, accumulate ? 1 : 0)
        return
    }
    var i = 0
    while i < m {
        let rows = min(6, m - i)
        var j = 0, p = 0
        while j < n {
            block6x16(k: k, alpha: alpha, a: a + i * aRow, aRow: aRow, aDepth: aDepth, rows: rows, b: b + p * bPanel,
                      ldb: ldb, c: c + i * ldc + j, ldc: ldc, cols: min(16, n - j), accumulate: accumulate)
            j += 16
            p += 1
        }
        i += 6
    }
}

/// Lays out `count` rows of `width` floats (rows `stride` apart at `source`) as 16-row panels transposed:
/// panel p holds rows 16p ..< 16p+16 as [width][16], so row r, column c lands at
/// panels[(r / 16)·16·width + c·16 + r % 16]. Rows past `count` in the last panel are zero. This is B = Mᵀ for
/// `tileProduct` (panel p at 16·width·p, ldb = 16).
func packPanels(_ source: UnsafePointer<Float>, stride: Int, count: Int, width: Int,
                into panels: UnsafeMutablePointer<Float>) {
    let padded = (count + 15) / 16 * 16
    for r in 0..<padded {
        let dst = panels + (r / 16) * 16 * width + r % 16
        if r < count {
            let src = source + r * stride
            for c in 0..<width { dst[c * 16] = src[c] }
        } else {
            for c in 0..<width { dst[c * 16] = 0 }
        }
    }
}

/// Floats `packPanels` writes for `count` rows of `width`.
@inline(__always)
func packedPanelFloats(count: Int, width: Int) -> Int { (count + 15) / 16 * 16 * width }

/// C[i, j] (+)= alpha · Σ_kk A(i, kk)·B(kk, j) for i < rows ≤ 6 and j < cols ≤ 16 (see `tileProduct`). Rows past
/// `rows` re-read the last valid row and are not stored, so a short block never reads outside A.
@inline(never)
func block6x16(k: Int, alpha: Float, a: UnsafePointer<Float>, aRow: Int, aDepth: Int, rows: Int,
               b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, cols: Int, accumulate: Bool) {
    let o1 = min(1, rows - 1) * aRow, o2 = min(2, rows - 1) * aRow, o3 = min(3, rows - 1) * aRow
    let o4 = min(4, rows - 1) * aRow, o5 = min(5, rows - 1) * aRow
    var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
    var c20 = SIMD8<Float>(), c21 = SIMD8<Float>(), c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
    var c40 = SIMD8<Float>(), c41 = SIMD8<Float>(), c50 = SIMD8<Float>(), c51 = SIMD8<Float>()
    var ap = a, bp = b
    for _ in 0..<k {
        let b0 = load8(bp), b1 = load8(bp + 8)
        var x = SIMD8<Float>(repeating: ap[0])
        c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1)
        x = SIMD8<Float>(repeating: ap[o1])
        c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1)
        x = SIMD8<Float>(repeating: ap[o2])
        c20 = c20.addingProduct(x, b0); c21 = c21.addingProduct(x, b1)
        x = SIMD8<Float>(repeating: ap[o3])
        c30 = c30.addingProduct(x, b0); c31 = c31.addingProduct(x, b1)
        x = SIMD8<Float>(repeating: ap[o4])
        c40 = c40.addingProduct(x, b0); c41 = c41.addingProduct(x, b1)
        x = SIMD8<Float>(repeating: ap[o5])
        c50 = c50.addingProduct(x, b0); c51 = c51.addingProduct(x, b1)
        ap += aDepth
        bp += ldb
    }
    let scale = SIMD8<Float>(repeating: alpha)
    @inline(__always) func store(_ r: Int, _ v0: SIMD8<Float>, _ v1: SIMD8<Float>) {
        guard r < rows else { return }
        let row = c + r * ldc
        if cols == 16 {
            if accumulate {
                store8(load8(row).addingProduct(v0, scale), row)
                store8(load8(row + 8).addingProduct(v1, scale), row + 8)
            } else {
                store8(v0 * scale, row)
                store8(v1 * scale, row + 8)
            }
        } else {
            for j in 0..<cols {
                let v = alpha * (j < 8 ? v0[j] : v1[j - 8])
                row[j] = accumulate ? row[j] + v : v
            }
        }
    }
    store(0, c00, c01); store(1, c10, c11); store(2, c20, c21)
    store(3, c30, c31); store(4, c40, c41); store(5, c50, c51)
}
