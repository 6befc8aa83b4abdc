import COpenBLAS

/// Single-precision matrix products through OpenBLAS `cblas_sgemm` (row-major).
public enum Matmul {
    /// C[m,n] = alpha · op(A)[m,k] · op(B)[k,n] + beta · C, row-major with leading dimensions lda/ldb/ldc.
    ///
    /// op(A) is A [m,k] (lda ≥ k) or, with `transA`, Aᵀ where A is stored [k,m] (lda ≥ m); likewise B.
    /// Leading dimensions larger than the logical width address strided sub-matrices, e.g. one head of a
    /// [T,H,D] tensor is a [T,D] matrix with ld = H·D.
    public static func gemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                            alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            // BLAS would do the same (C = beta·C); handled here because some builds reject k = 0 strides.
            for row in 0..<m {
                let cr = c + row * ldc
                if beta == 0 { cr.update(repeating: 0, count: n) } else if beta != 1 {
                    for j in 0..<n { cr[j] *= beta }
                }
            }
            return
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Sets the number of OpenBLAS threads for this process (one per rank under mpirun).
    public static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    /// The number of threads OpenBLAS currently uses.
    public static var threads: Int { Int(openblas_get_num_threads()) }
}
