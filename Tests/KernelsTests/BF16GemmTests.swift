import Testing
import Kernels

/// bf16 rounding written independently of the kernels: the two bf16 neighbours of x compared in Double, ties to the
/// even one (bf16 keeps the top 16 bits of a float).
func referenceBF16(_ x: Float) -> Float {
    if x.isNaN || x.isInfinite { return x }
    let down = Float(bitPattern: x.bitPattern & 0xffff_0000)
    let up = Float(bitPattern: (x.bitPattern & 0xffff_0000) &+ 0x1_0000)  // next bf16 away from zero (may be ±inf)
    let dDown = abs(Double(x) - Double(down)), dUp = up.isInfinite ? Double.infinity : abs(Double(up) - Double(x))
    if up.isInfinite {
        // Past the largest finite bf16 the halfway point to 2^128 rounds to infinity.
        let halfway = Double(down) + (Double(Float(bitPattern: 0x7f7f_0000)) - Double(Float(bitPattern: 0x7f7e_0000))) / 2
            * (x < 0 ? -1 : 1)
        return abs(Double(x)) >= abs(halfway) ? up : down
    }
    if dDown < dUp { return down }
    if dUp < dDown { return up }
    return (down.bitPattern >> 16) & 1 == 0 ? down : up
}

/// The bf16 kernels this CPU runs.
let bf16Kernels: [BF16Kernel] = {
    var k: [BF16Kernel] = []
    if CPUFeatures.current.avx512BF16 { k.append(.avx512) }
    if CPUFeatures.current.amxBF16 && CPUFeatures.current.amxPermitted { k.append(.amx) }
    return k
}()

@Suite struct BF16RoundingTests {
    /// Gaussians at many scales, exact ties (odd and even), the float extremes, infinities and NaN.
    @Test func roundsToNearestEven() {
        var rng = makeRNG(5)
        var values: [Float] = [0, -0, 1, -1, .infinity, -.infinity, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                               .leastNormalMagnitude, .leastNonzeroMagnitude, Float(bitPattern: 0x3f80_8000),
                               Float(bitPattern: 0x3f81_8000), Float(bitPattern: 0x7f7f_8000), Float(bitPattern: 0x7f7f_7fff)]
        for e in -30...30 { for _ in 0..<300 { values.append(Float(rng.nextGaussian()) * Float(pow2(e))) } }
        let wrong = values.filter { BF16.rounded($0).bitPattern != referenceBF16($0).bitPattern }
        #expect(wrong.isEmpty, "bf16 rounding differs from the reference for \(wrong.prefix(5)) (\(wrong.count) of \(values.count))")
        #expect(BF16.rounded(.nan).isNaN)
    }

    func pow2(_ e: Int) -> Double { e >= 0 ? Double(1 << e) : 1 / Double(1 << -e) }
}

/// Each bf16 kernel against a Double product of the same bf16-rounded inputs, in every layout the model uses.
@Suite(.enabled(if: !bf16Kernels.isEmpty, "no bf16 kernel on this CPU: it lacks avx512_bf16 and amx_bf16"))
struct BF16GemmTests {
    /// Shapes with ragged edges in every dimension and depths/rows past one block (KC = 256, MC = 192).
    static let shapes = [(1, 1, 1), (5, 17, 3), (6, 64, 32), (7, 33, 31), (37, 130, 70), (200, 48, 300), (33, 257, 600)]

    /// A read row-major / transposed / with both strides, B packed from its rows, its columns, or strided;
    /// overwrite and accumulate. Bound: every product of two bf16 values is exact in fp32, so the only error is
    /// fp32 accumulation over k terms (plus one rounding per 256-deep slice and the alpha scaling):
    /// |C − ref| ≤ (k + 16)·2⁻²³·Σ|alpha·a·b| (twice the classic γ_k bound), + |C₀|·2⁻²³ when accumulating.
    @Test(arguments: shapes)
    func matchesDoubleReference(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        for kernel in bf16Kernels {
            for aLayout in 0..<3 {
                for bLayout in 0..<3 {
                    for accumulate in [false, true] {
                        check(kernel, m: m, n: n, k: k, aLayout: aLayout, bLayout: bLayout, accumulate: accumulate)
                    }
                }
            }
        }
    }

    func check(_ kernel: BF16Kernel, m: Int, n: Int, k: Int, aLayout: Int, bLayout: Int, accumulate: Bool) {
        var rng = makeRNG(UInt64(m * 1000 + n * 10 + k))
        // A(i, kk) = a[i·aRow + kk·aDepth]: row-major (lda = k + 3), transposed (stored [k, m + 2]), or both strided.
        let (aRow, aDepth, aCount): (Int, Int, Int) = aLayout == 0 ? (k + 3, 1, m * (k + 3))
            : aLayout == 1 ? (1, m + 2, k * (m + 2)) : (2 * k + 1, 2, m * (2 * k + 1))
        let a = gaussian(aCount, &rng)
        // B(kk, j) = b[kk·kStride + j·nStride]: row-major [k, n + 5], transposed [n, k + 1], or both strided.
        let (kStride, nStride, bCount): (Int, Int, Int) = bLayout == 0 ? (n + 5, 1, k * (n + 5))
            : bLayout == 1 ? (1, k + 1, n * (k + 1)) : (3 * n, 3, k * 3 * n)
        let b = gaussian(bCount, &rng)
        let packed = PackedBF16Matrix(k: k, n: n)
        b.withUnsafeBufferPointer { packed.pack($0.baseAddress!, kStride: kStride, nStride: nStride) }
        let ldc = n + 7, sentinel: Float = 4321
        let c0 = (0..<((m + 1) * ldc)).map { $0 < m * ldc && $0 % ldc < n ? Float(rng.nextGaussian()) : sentinel }
        var c = c0
        let alpha: Float = 0.5
        a.withUnsafeBufferPointer { ap in
            BF16Gemm.gemm(kernel, m: m, n: n, k: k, alpha: alpha, a: ap.baseAddress!, aRow: aRow, aDepth: aDepth,
                          packed: UnsafePointer(packed.storage.baseAddress!), c: &c, ldc: ldc, accumulate: accumulate)
        }
        let label = "\(kernel.name) m \(m) n \(n) k \(k) A layout \(aLayout) B layout \(bLayout) accumulate \(accumulate)"
        var worst = 0.0
        for i in 0...m {
            for j in 0..<ldc {
                let at = i * ldc + j
                guard i < m, j < n else {
                    if c[at] != c0[at] { Issue.record("outside C written at (\(i), \(j)) \(label)"); return }
                    continue
                }
                var want = 0.0, size = 0.0
                for kk in 0..<k {
                    let x = Double(referenceBF16(a[i * aRow + kk * aDepth])) * Double(referenceBF16(b[kk * kStride + j * nStride]))
                    want += x
                    size += abs(x)
                }
                want = Double(alpha) * want + (accumulate ? Double(c0[at]) : 0)
                let bound = Double(k + 16) * 0x1p-23 * Double(alpha) * size + (accumulate ? abs(Double(c0[at])) * 0x1p-23 : 0)
                worst = max(worst, abs(Double(c[at]) - want) / max(bound, 1e-30))
            }
        }
        #expect(worst <= 1, "error \(worst)× the bound, \(label)")
    }

    /// The packed layout: element (kk, j) at panel j/16, pair row kk/2, column j%16, half kk%2; zero padding.
    @Test func packedLayout() {
        let k = 37, n = 21
        let src = (0..<(k * n)).map { Float($0 % 251) }  // small integers are exact in bf16
        let packed = PackedBF16Matrix(k: k, n: n)
        src.withUnsafeBufferPointer { packed.pack($0.baseAddress!, kStride: n, nStride: 1) }
        let k32 = 64
        #expect(packed.storage.count == 2 * 16 * k32)
        for p in 0..<2 {
            for kk in 0..<k32 {
                for jj in 0..<16 {
                    let j = 16 * p + jj
                    let bits = packed.storage[p * 16 * k32 + (kk / 2) * 32 + jj * 2 + kk % 2]
                    let want: Float = (j < n && kk < k) ? src[kk * n + j] : 0
                    #expect(Float(bitPattern: UInt32(bits) << 16) == want, "(\(kk), \(j))")
                }
            }
        }
    }
}
