/// A bias-free linear layer y = x·Wᵀ with W stored [out, in] (the PyTorch layout).
///
/// Shapes: x [T, in], W [out, in], y [T, out]; dy [T, out], dx [T, in], dW [out, in].
///
/// At kernel level avx512 and above the products run on `GemmF32` split over `pool`, with the same bits at every
/// pool size; at avx2 on cblas_sgemm (with OpenBLAS's own threads, between the pool's jobs), where `pool` is unused.
public enum Linear {
    /// y = x·Wᵀ (overwrites y; with `accumulate`, y += x·Wᵀ, e.g. straight into a residual stream).
    public static func forward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                               tokens: Int, inFeatures: Int, outFeatures: Int, accumulate: Bool = false,
                               pool: WorkerPool = .serial) {
        if KernelDispatch.linearF32Own {
            GemmF32.gemm(m: tokens, n: outFeatures, k: inFeatures, a: x, aRow: inFeatures, aDepth: 1,
                         b: w, bDepth: 1, bColumn: inFeatures, c: y, ldc: outFeatures, accumulate: accumulate, pool: pool)
            return
        }
        Matmul.gemm(transB: true, m: tokens, n: outFeatures, k: inFeatures,
                    a: x, lda: inFeatures, b: w, ldb: inFeatures,
                    beta: accumulate ? 1 : 0, c: y, ldc: outFeatures)
    }

    /// dx = dy·W (overwritten, or added with `accumulateDx`; skipped when nil) and dW += dyᵀ·x.
    public static func backward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>,
                                tokens: Int, inFeatures: Int, outFeatures: Int, accumulateDx: Bool = false,
                                pool: WorkerPool = .serial) {
        if KernelDispatch.linearF32Own {
            if let dx {
                GemmF32.gemm(m: tokens, n: inFeatures, k: outFeatures, a: dy, aRow: outFeatures, aDepth: 1,
                             b: w, bDepth: inFeatures, bColumn: 1, c: dx, ldc: inFeatures, accumulate: accumulateDx,
                             pool: pool)
            }
            GemmF32.gemm(m: outFeatures, n: inFeatures, k: tokens, a: dy, aRow: 1, aDepth: outFeatures,
                         b: x, bDepth: inFeatures, bColumn: 1, c: dw, ldc: inFeatures, accumulate: true, pool: pool)
            return
        }
        if let dx {
            Matmul.gemm(m: tokens, n: inFeatures, k: outFeatures,
                        a: dy, lda: outFeatures, b: w, ldb: inFeatures,
                        beta: accumulateDx ? 1 : 0, c: dx, ldc: inFeatures)
        }
        Matmul.gemm(transA: true, m: outFeatures, n: inFeatures, k: tokens,
                    a: dy, lda: outFeatures, b: x, ldb: inFeatures,
                    beta: 1, c: dw, ldc: inFeatures)
    }
}
