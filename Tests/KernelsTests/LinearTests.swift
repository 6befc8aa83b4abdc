import Testing
import Kernels

/// Plain-loop reference of C = alpha·op(A)·op(B) + beta·C on row-major storage with leading dimensions.
private func naiveGemm(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Double, _ a: [Float], _ lda: Int,
                       _ b: [Float], _ ldb: Int, _ beta: Double, _ c: [Float], _ ldc: Int) -> [Double] {
    var out = dbl(c)
    for i in 0..<m {
        for j in 0..<n {
            var s = 0.0
            for p in 0..<k {
                let av = ta ? a[p * lda + i] : a[i * lda + p]
                let bv = tb ? b[j * ldb + p] : b[p * ldb + j]
                s += Double(av) * Double(bv)
            }
            out[i * ldc + j] = alpha * s + beta * Double(c[i * ldc + j])
        }
    }
    return out
}

@Suite struct LinearTests {
    /// All four transpose cases with padded leading dimensions, alpha and beta, against the plain loop.
    /// Bound: 1e-5 normalised max-abs error (float rounding over k = 13 terms is ~1e-7).
    @Test func gemmMatchesNaiveForAllTransposes() {
        var rng = makeRNG(1)
        let m = 5, n = 7, k = 13
        for ta in [false, true] {
            for tb in [false, true] {
                let lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 4
                let a = gaussian((ta ? k : m) * lda, &rng), b = gaussian((tb ? n : k) * ldb, &rng)
                var c = gaussian(m * ldc, &rng)
                let ref = naiveGemm(ta, tb, m, n, k, 0.7, a, lda, b, ldb, 0.3, c, ldc)
                Matmul.gemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 0.7, a: a, lda: lda, b: b, ldb: ldb,
                            beta: 0.3, c: &c, ldc: ldc)
                #expect(normError(c, ref) < 1e-5, "transA \(ta) transB \(tb)")
            }
        }
    }

    /// Forward against the plain loop (bound 1e-5); backward against central finite differences of the Double
    /// reference of Σ r∘y (bound 1e-4 normalised). dx must be overwritten and dW accumulated. At every fp32 level
    /// this CPU has: cblas_sgemm at avx2, `GemmF32` at avx512.
    @Test(arguments: fp32Levels) func linearForwardBackward(level: KernelLevel) {
        KernelDispatch.withLevel(level) { checkLinear() }
    }

    func checkLinear() {
        var rng = makeRNG(2)
        let t = 6, nin = 11, nout = 5
        let x = gaussian(t * nin, &rng), w = gaussian(nout * nin, &rng), r = dbl(gaussian(t * nout, &rng))
        func ref(_ x: [Double], _ w: [Double]) -> [Double] {
            var y = [Double](repeating: 0, count: t * nout)
            for i in 0..<t { for o in 0..<nout { for p in 0..<nin { y[i * nout + o] += x[i * nin + p] * w[o * nin + p] } } }
            return y
        }
        var y = [Float](repeating: .nan, count: t * nout)
        Linear.forward(x: x, w: w, y: &y, tokens: t, inFeatures: nin, outFeatures: nout)
        #expect(normError(y, ref(dbl(x), dbl(w))) < 1e-5)

        var dx = [Float](repeating: .nan, count: t * nin)
        let dw0 = gaussian(nout * nin, &rng)
        var dw = dw0
        Linear.backward(x: x, w: w, dy: r.map { Float($0) }, dx: &dx, dw: &dw, tokens: t, inFeatures: nin, outFeatures: nout)
        let fdx = finiteDifference(dbl(x)) { project(ref($0, dbl(w)), r) }
        let fdw = finiteDifference(dbl(w)) { project(ref(dbl(x), $0), r) }
        #expect(normError(dx, fdx) < 1e-4)
        #expect(normError(zip(dw, dw0).map { $0 - $1 }, fdw) < 1e-4)

        // accumulate: y += x·Wᵀ on top of existing values
        var y2 = [Float](repeating: 1, count: t * nout)
        Linear.forward(x: x, w: w, y: &y2, tokens: t, inFeatures: nin, outFeatures: nout, accumulate: true)
        #expect(normError(y2, ref(dbl(x), dbl(w)).map { $0 + 1 }) < 1e-5)
    }
}
