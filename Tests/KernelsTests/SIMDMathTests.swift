import Foundation
import Testing
@testable import Kernels

@Suite struct SIMDMathTests {
    /// The vector exp against Foundation's Double exp on 200,001 points of [-90, 89]: relative error below
    /// 4 ulp (4.8e-7) where the result is a normal float, exactly 0 below -87.34, finite at the top.
    @Test func vectorExpAccuracy() {
        var worst = 0.0
        for i in 0...200_000 {
            let x = Float(-90 + 179 * Double(i) / 200_000)
            let got = Double(sexp(x)), want = Foundation.exp(Double(x))
            if x < -87.34 { #expect(got == 0, "x = \(x)"); continue }
            if want < Double(Float.leastNormalMagnitude) * 2 || x > 88.37 { continue }
            worst = max(worst, abs(got - want) / want)
        }
        #expect(worst < 4.8e-7)
        #expect(sexp(1000).isFinite && sexp(-.infinity) == 0)
        let v = vexp(SIMD8<Float>(0, 1, -1, 2, -2, 10, -10, 0.5))
        for (i, x) in [Float(0), 1, -1, 2, -2, 10, -10, 0.5].enumerated() {
            #expect(abs(Double(v[i]) - Foundation.exp(Double(x))) / Foundation.exp(Double(x)) < 4.8e-7)
        }
    }

    /// The base-2 exp against Foundation's Double exp2 on 200,001 points of [-130, 127]: relative error below
    /// 2 ulp (2.4e-7) where 2^x is a normal float, exactly 0 at or below -127, -inf → 0 and NaN → NaN.
    @Test func vectorExp2Accuracy() {
        var worst = 0.0
        for i in 0...200_000 {
            let x = Float(-130 + 257 * Double(i) / 200_000)
            let got = Double(sexp2(x)), want = Foundation.exp2(Double(x))
            if x <= -127 { #expect(got == 0, "x = \(x)"); continue }
            if want < Double(Float.leastNormalMagnitude) { continue }
            worst = max(worst, abs(got - want) / want)
        }
        #expect(worst < 2.4e-7, "worst relative error \(worst)")
        #expect(sexp2(-.infinity) == 0 && sexp2(.nan).isNaN && sexp2(0) == 1 && sexp2(10) == 1024)
        let xs: [Float] = [0, 1, -1, 0.5, -0.5, -20.25, 3.75, -126.2]
        let v = vexp2(SIMD8<Float>(xs))
        for (i, x) in xs.enumerated() {
            #expect(abs(Double(v[i]) - Foundation.exp2(Double(x))) / Foundation.exp2(Double(x)) < 2.4e-7, "x = \(x)")
        }
    }

    /// The compare-and-blend max and horizontal max against the scalar definitions.
    @Test func maxHelpers() {
        let a = SIMD8<Float>(1, -2, 3, -4, 5, -6, 7, -8), b = SIMD8<Float>(0, 0, 4, -5, 5, -7, 9, 0)
        #expect(vmax(a, b) == SIMD8(1, 0, 4, -4, 5, -6, 9, 0))
        #expect(vmin(a, b) == SIMD8(0, -2, 3, -5, 5, -7, 7, -8))
        #expect(hmax(a) == 7 && hmax(b) == 9 && hmax(-a) == 8)
    }
}
