/// A weight W [out, in] rounded to bf16 and packed once for the two products that read it: y = x·Wᵀ (forward)
/// and dx = dy·W (backward). Re-packed whenever W changes (once per optimizer step).
public final class BF16Weight {
    public let inFeatures: Int, outFeatures: Int
    /// B = Wᵀ (k = in, n = out), for the forward.
    public let transposed: PackedBF16Matrix
    /// B = W (k = out, n = in), for the input gradient.
    public let direct: PackedBF16Matrix

    public init(inFeatures: Int, outFeatures: Int) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        transposed = PackedBF16Matrix(k: inFeatures, n: outFeatures)
        direct = PackedBF16Matrix(k: outFeatures, n: inFeatures)
    }

    /// Rounds and packs W [out, in] (row-major) into both layouts, the panels split over `pool`.
    public func pack(_ w: UnsafePointer<Float>, pool: WorkerPool = .serial) {
        transposed.pack(w, kStride: 1, nStride: inFeatures, pool: pool)
        direct.pack(w, kStride: inFeatures, nStride: 1, pool: pool)
    }

    /// bf16 elements held by both layouts.
    public var elementCount: Int { transposed.storage.count + direct.storage.count }
}

/// The bf16 forms of `Linear`: bf16 operands (x, dy rounded while packed; W packed by `BF16Weight`), fp32
/// accumulation and outputs, the same shapes and accumulate flags as the fp32 forms.
extension Linear {
    /// Tokens per slice of the weight-gradient product: x is packed as the B operand one slice at a time.
    public static let weightGradientSlice = 1024

    /// bf16 elements of the scratch `backward(… scratch:)` needs for inputs up to `maxInFeatures` wide.
    public static func bf16ScratchCount(maxInFeatures: Int) -> Int {
        BF16Gemm.packedCount(k: weightGradientSlice, n: maxInFeatures)
    }

    /// y = x·Wᵀ (or y += x·Wᵀ with `accumulate`).
    public static func forward(x: UnsafePointer<Float>, w: BF16Weight, y: UnsafeMutablePointer<Float>, tokens: Int,
                               accumulate: Bool = false, kernel: BF16Kernel,
                               pool: WorkerPool = .serial) {
        BF16Gemm.gemm(kernel, m: tokens, n: w.outFeatures, k: w.inFeatures, a: x, aRow: w.inFeatures, aDepth: 1,
                      packed: w.transposed.storage.baseAddress!, c: y, ldc: w.outFeatures, accumulate: accumulate,
                      pool: pool)
    }

    /// dx = dy·W (overwritten, or added with `accumulateDx`; skipped when nil) and dW += dyᵀ·x, x packed slice by
    /// slice into `scratch` (`bf16ScratchCount`).
    public static func backward(x: UnsafePointer<Float>, w: BF16Weight, dy: UnsafePointer<Float>,
                                dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>, tokens: Int,
                                accumulateDx: Bool = false, kernel: BF16Kernel, scratch: UnsafeMutablePointer<UInt16>,
                                pool: WorkerPool = .serial) {
        let inF = w.inFeatures, outF = w.outFeatures
        if let dx {
            BF16Gemm.gemm(kernel, m: tokens, n: inF, k: outF, a: dy, aRow: outF, aDepth: 1,
                          packed: w.direct.storage.baseAddress!, c: dx, ldc: inF, accumulate: accumulateDx, pool: pool)
        }
        weightGradient(x: x, dy: dy, dw: dw, tokens: tokens, inFeatures: inF, outFeatures: outF, kernel: kernel,
                       scratch: scratch, pool: pool)
    }

    /// dW [out, in] += dyᵀ·x over `tokens` rows: A = dyᵀ (read transposed), B = x packed per slice of tokens.
    public static func weightGradient(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
                                      tokens: Int, inFeatures inF: Int, outFeatures outF: Int, kernel: BF16Kernel,
                                      scratch: UnsafeMutablePointer<UInt16>, pool: WorkerPool = .serial) {
        var t0 = 0
        while t0 < tokens {
            let slice = min(weightGradientSlice, tokens - t0)
            BF16Gemm.pack(x + t0 * inF, k: slice, n: inF, kStride: inF, nStride: 1, into: scratch, pool: pool)
            BF16Gemm.gemm(kernel, m: outF, n: inF, k: slice, a: dy + t0 * outF, aRow: 1, aDepth: outF,
                          packed: scratch, c: dw, ldc: inF, accumulate: true, pool: pool)
            t0 += slice
        }
    }
}
