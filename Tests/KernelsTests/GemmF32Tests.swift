import Testing
import Kernels

/// The fp32 GEMM driver (`GemmF32`, AVX-512) against a naive Double loop, in the layouts of a Linear's three
/// products and a fully strided one, overwrite and accumulate.
@Suite(.enabled(if: CPUFeatures.current.avx512, "no AVX-512 on this CPU: GemmF32 needs avx512f"))
struct GemmF32Tests {
    /// (m, n, k) ragged against the 6-row and 16/64-column register blocks, the 48 × 512 work items, the 1024-column
    /// B blocks, the 512-deep slices and the stages of four slices: one slice, exactly one, one past it, two and
    /// three slices, and past one stage.
    static let shapes = [(1, 1, 1), (5, 17, 3), (6, 64, 512), (7, 33, 513), (49, 130, 70), (97, 150, 1100),
                         (50, 1030, 40), (13, 257, 600), (8, 20, 2100)]

    /// How A and B are stored, as the Linear products read them.
    enum Layout: CaseIterable {
        /// y = x·Wᵀ: A row-major, B transposed (W [n, k]).
        case forward
        /// dx = dy·W: both row-major.
        case inputGradient
        /// dW += dyᵀ·x: A transposed (dy [k, m]), B row-major.
        case weightGradient
        /// Neither dimension contiguous, in A or in B.
        case strided

        /// (aRow, aDepth, floats) of an [m, k] operand stored with padding.
        func a(m: Int, k: Int) -> (Int, Int, Int) {
            switch self {
            case .forward, .inputGradient: return (k + 3, 1, m * (k + 3))
            case .weightGradient: return (1, m + 2, k * (m + 2))
            case .strided: return (2 * k + 1, 2, m * (2 * k + 1))
            }
        }

        /// (bDepth, bColumn, floats) of a [k, n] operand stored with padding.
        func b(k: Int, n: Int) -> (Int, Int, Int) {
            switch self {
            case .forward: return (1, k + 1, n * (k + 1))
            case .inputGradient, .weightGradient: return (n + 5, 1, k * (n + 5))
            case .strided: return (3 * n, 3, k * 3 * n)
            }
        }
    }

    /// Bound: each element is a sum of k fp32 FMAs from zero per 512-deep slice, scaled by alpha and added to C once
    /// per slice, so |C − ref| ≤ (k + 16)·2⁻²³·(|alpha|·Σ|a·b| + |C₀|) (twice the classic γ_k bound, with room for
    /// the per-slice roundings). Every float of C outside [m, n] must stay untouched.
    @Test(arguments: shapes)
    func matchesDoubleReference(shape: (Int, Int, Int)) {
        for layout in Layout.allCases {
            for accumulate in [false, true] { check(shape, layout, accumulate: accumulate) }
        }
    }

    func check(_ shape: (Int, Int, Int), _ layout: Layout, accumulate: Bool) {
        let (m, n, k) = shape
        var rng = makeRNG(UInt64(7 * m + 31 * n + k))
        let (aRow, aDepth, aCount) = layout.a(m: m, k: k), (bDepth, bColumn, bCount) = layout.b(k: k, n: n)
        let a = gaussian(aCount, &rng), b = gaussian(bCount, &rng)
        let ldc = n + 3, sentinel: Float = -777
        let c0 = (0..<((m + 1) * ldc)).map { $0 < m * ldc && $0 % ldc < n ? Float(rng.nextGaussian()) : sentinel }
        var c = c0
        let alpha: Float = -1.25
        GemmF32.gemm(m: m, n: n, k: k, alpha: alpha, a: a, aRow: aRow, aDepth: aDepth, b: b, bDepth: bDepth,
                     bColumn: bColumn, c: &c, ldc: ldc, accumulate: accumulate)
        var worst = 0.0, outside = 0
        for i in 0...m {
            for j in 0..<ldc {
                let at = i * ldc + j
                if i == m || j >= n {
                    if c[at].bitPattern != c0[at].bitPattern { outside += 1 }
                    continue
                }
                var sum = 0.0, size = 0.0
                for kk in 0..<k {
                    let x = Double(a[i * aRow + kk * aDepth]) * Double(b[kk * bDepth + j * bColumn])
                    sum += x
                    size += abs(x)
                }
                let start = accumulate ? Double(c0[at]) : 0
                let bound = Double(k + 16) * 0x1p-23 * (abs(Double(alpha)) * size + abs(start))
                worst = max(worst, abs(Double(c[at]) - (Double(alpha) * sum + start)) / max(bound, 1e-30))
            }
        }
        let label = "m \(m) n \(n) k \(k) \(layout) accumulate \(accumulate)"
        #expect(outside == 0, "\(outside) floats outside C written, \(label)")
        #expect(worst <= 1, "error \(worst)× the bound, \(label)")
    }

    /// k = 0 clears C (or leaves it, accumulating); m or n = 0 touches nothing.
    @Test func emptyProducts() {
        let a: [Float] = [1], b: [Float] = [1]
        var c: [Float] = [5, 6]
        GemmF32.gemm(m: 1, n: 2, k: 0, a: a, aRow: 1, aDepth: 1, b: b, bDepth: 2, bColumn: 1, c: &c, ldc: 2, accumulate: true)
        #expect(c == [5, 6])
        GemmF32.gemm(m: 0, n: 2, k: 1, a: a, aRow: 1, aDepth: 1, b: b, bDepth: 2, bColumn: 1, c: &c, ldc: 2, accumulate: false)
        #expect(c == [5, 6])
        GemmF32.gemm(m: 1, n: 2, k: 0, a: a, aRow: 1, aDepth: 1, b: b, bDepth: 2, bColumn: 1, c: &c, ldc: 2, accumulate: false)
        #expect(c == [0, 0])
    }
}
