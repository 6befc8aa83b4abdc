/// A bias-free linear layer y = x·Wᵀ with W stored [out, in] (the PyTorch layout).
///
/// Shapes: x [T, in], W [out, in], y [T, out]; dy [T, out], dx [T, in], dW [out, in].
public enum Linear {
    /// y = x·Wᵀ (overwrites y; with `accumulate`, y += x·Wᵀ, e.g. straight into a residual stream).
    public static func forward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                               tokens: Int, inFeatures: Int, outFeatures: Int, accumulate: Bool = false) {
        Matmul.gemm(transB: true, m: tokens, n: outFeatures, k: inFeatures,
                    a: x, lda: inFeatures, b: w, ldb: inFeatures,
                    beta: accumulate ? 1 : 0, c: y, ldc: outFeatures)
    }

    /// dx = dy·W (overwritten, or added with `accumulateDx`; skipped when nil) and dW += dyᵀ·x.
    public static func backward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>,
                                tokens: Int, inFeatures: Int, outFeatures: Int, accumulateDx: Bool = false) {
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
