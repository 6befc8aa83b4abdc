import Kernels
import Support

// Helpers shared by the kernel tests: seeded random data, error measures and central finite differences.
// Every reference in these tests is written independently of the kernels, in Double, with plain loops.

/// A seeded generator so every test is reproducible.
func makeRNG(_ seed: UInt64) -> Xoshiro256 { Xoshiro256(seed: seed) }

/// `n` Gaussian values times `scale`, as Float.
func gaussian(_ n: Int, _ rng: inout Xoshiro256, scale: Double = 1) -> [Float] {
    (0..<n).map { _ in Float(rng.nextGaussian() * scale) }
}

/// Widens to Double.
func dbl(_ x: [Float]) -> [Double] { x.map(Double.init) }

/// max |a − b| / max |b|: the max-abs error normalised by the reference's largest magnitude.
func normError(_ a: [Float], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "length mismatch \(a.count) vs \(b.count)")
    var err = 0.0, mag = 1e-30
    for i in 0..<a.count {
        err = max(err, abs(Double(a[i]) - b[i]))
        mag = max(mag, abs(b[i]))
    }
    return err / mag
}

/// Same measure, both Double (used on subsets of coordinates).
func normError(_ a: [Double], _ b: [Double]) -> Double { normError(a.map { Float($0) }, b) }

/// Central finite-difference gradient of a scalar Double function at x for the listed coordinates
/// (all when nil). Step h is relative to 1 + |x_i|, so the truncation error stays ~h² for any scale.
func finiteDifference(_ x: [Double], indices: [Int]? = nil, h: Double = 1e-5, _ f: ([Double]) -> Double) -> [Double] {
    var xs = x
    return (indices ?? Array(x.indices)).map { i in
        let step = h * (1 + abs(x[i]))
        xs[i] = x[i] + step
        let fp = f(xs)
        xs[i] = x[i] - step
        let fm = f(xs)
        xs[i] = x[i]
        return (fp - fm) / (2 * step)
    }
}

/// Σ r_i·y_i: a random projection turns a vector-valued op into a scalar loss whose gradient is the op's
/// vector-Jacobian product with r, which is exactly what a backward pass computes.
func project(_ y: [Double], _ r: [Double]) -> Double {
    var s = 0.0
    for i in 0..<y.count { s += y[i] * r[i] }
    return s
}

/// The fp32 kernel levels this CPU runs (avx2, and avx512 where present): kernel tests run at each.
let fp32Levels = [KernelLevel.avx2, .avx512].filter { $0 <= CPUFeatures.current.highestLevel }
