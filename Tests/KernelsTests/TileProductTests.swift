import Testing
@testable import Kernels

/// The attention micro-kernel's products against a naive Double triple loop, in the three layouts attention uses.
@Suite struct TileProductTests {
    /// A filled with Gaussians; returns Float storage and a Double reader A(i, kk) for the given strides.
    func matrix(_ count: Int, seed: UInt64) -> [Float] {
        var rng = makeRNG(seed)
        return (0..<count).map { _ in Float(rng.nextGaussian()) }
    }

    /// Every (m, n, k) in a grid with ragged edges (m not a multiple of 6, n not of 16), with A read row-major
    /// and transposed, B row-major and packed by `packPanels`, overwrite and accumulate: C[i, j] within 1e-5
    /// (relative to Σ|a·b|) of the Double product, and every float of C outside [m, n] untouched.
    /// Run at every fp32 level this CPU has (the AVX2 block and, with AVX-512, the 6 × 64 zmm block).
    @Test(arguments: [(1, 1, 1), (6, 16, 8), (7, 17, 5), (13, 40, 64), (96, 64, 33), (5, 3, 100), (13, 100, 9),
                      (20, 130, 17)])
    func matchesNaiveProduct(shape: (Int, Int, Int)) {
        for level in fp32Levels {
            KernelDispatch.withLevel(level) { checkProduct(shape: shape, level: level) }
        }
    }

    func checkProduct(shape: (Int, Int, Int), level: KernelLevel) {
        let (m, n, k) = shape
        let sentinel: Float = 12345
        for transposedA in [false, true] {
            for packedB in [false, true] {
                for accumulate in [false, true] {
                    // A: [m, k] row-major (aRow = k + 3) or its transpose stored [k, m] (aDepth = m + 2).
                    let lda = transposedA ? m + 2 : k + 3
                    let a = matrix((transposedA ? k : m) * lda, seed: 1)
                    let aRow = transposedA ? 1 : lda, aDepth = transposedA ? lda : 1
                    // B: [k, n] row-major with 16 floats of slack, or packed from its transpose Bᵀ [n, k].
                    let ldb = n + 5
                    let bRows = matrix(k * ldb + 16, seed: 2)
                    var bT = [Float](repeating: 0, count: n * k)
                    for kk in 0..<k { for j in 0..<n { bT[j * k + kk] = bRows[kk * ldb + j] } }
                    var packed = [Float](repeating: .nan, count: packedPanelFloats(count: n, width: k))
                    packPanels(bT, stride: k, count: n, width: k, into: &packed)
                    let ldc = n + 4
                    let c0 = matrix((m + 1) * ldc, seed: 3).enumerated().map { $0.offset < m * ldc && $0.offset % ldc < n ? $0.element : sentinel }
                    var c = c0
                    let alpha: Float = 0.75
                    a.withUnsafeBufferPointer { ap in
                        let bBase = packedB ? packed : bRows
                        bBase.withUnsafeBufferPointer { bp in
                            tileProduct(m: m, n: n, k: k, alpha: alpha, a: ap.baseAddress!, aRow: aRow, aDepth: aDepth,
                                        b: bp.baseAddress!, ldb: packedB ? 16 : ldb, bPanel: packedB ? 16 * k : 16,
                                        c: &c, ldc: ldc, accumulate: accumulate)
                        }
                    }
                    let label = "\(level.name) m \(m) n \(n) k \(k) transposedA \(transposedA) packedB \(packedB) accumulate \(accumulate)"
                    for i in 0..<(m + 1) {
                        for j in 0..<ldc {
                            let at = i * ldc + j
                            guard i < m, j < n else { #expect(c[at] == c0[at], "outside C touched at (\(i), \(j)) \(label)"); continue }
                            var want = 0.0, size = 0.0
                            for kk in 0..<k {
                                let x = Double(a[i * aRow + kk * aDepth]) * Double(bRows[kk * ldb + j])
                                want += x
                                size += abs(x)
                            }
                            want = Double(alpha) * want + (accumulate ? Double(c0[at]) : 0)
                            size = Double(alpha) * size + (accumulate ? abs(Double(c0[at])) : 0)
                            #expect(abs(Double(c[at]) - want) <= 1e-5 * max(size, 1e-30), "C[\(i), \(j)] \(label)")
                        }
                    }
                }
            }
        }
    }

    /// packPanels puts row r, column c at ((r / 16)·16·width + c·16 + r % 16) and zero-fills the last panel.
    @Test func packedLayout() {
        let count = 21, width = 5, stride = 7
        let source = (0..<(count * stride)).map { Float($0) }
        var panels = [Float](repeating: .nan, count: packedPanelFloats(count: count, width: width))
        #expect(panels.count == 32 * width)
        packPanels(source, stride: stride, count: count, width: width, into: &panels)
        for r in 0..<32 {
            for c in 0..<width {
                let got = panels[(r / 16) * 16 * width + c * 16 + r % 16]
                #expect(got == (r < count ? Float(r * stride + c) : 0), "row \(r) column \(c)")
            }
        }
    }
}
