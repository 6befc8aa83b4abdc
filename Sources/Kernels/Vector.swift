#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// SIMD helpers on flat Float buffers (gradient norms, scaling, accumulation, fills).
public enum Vector {
    /// Σ x² accumulated in Double (blocks of 1024 in Float SIMD lanes, then Double), for global-norm clipping.
    public static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
        var total = 0.0
        let whole = count / 16 * 16
        var i = 0
        while i < whole {
            let n = min(sumBlock, whole - i)
            total += Double(blockSumOfSquares(x + i, count: n))
            i += n
        }
        while i < count { total += Double(x[i]) * Double(x[i]); i += 1 }
        return total
    }

    /// Elements per Float partial sum of `sumOfSquares`.
    static let sumBlock = 1024

    /// Σ x² of one block (`count` a multiple of 16, at most `sumBlock`) in 32 Float lanes (≤ 32 terms each), so the
    /// Float error stays ~1e-6 relative per block while the cross-block sum over millions of elements is exact
    /// enough in Double.
    @inline(__always)
    static func blockSumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>()
        var i = 0
        while i + 32 <= count {
            let u = load16(x + i), w = load16(x + i + 16)
            a0 = a0.addingProduct(u, u)
            a1 = a1.addingProduct(w, w)
            i += 32
        }
        while i + 16 <= count {
            let u = load16(x + i)
            a0 = a0.addingProduct(u, u)
            i += 16
        }
        return (a0 + a1).sum()
    }

    /// Σ x·y accumulated in Double per block (same scheme as `sumOfSquares`).
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Double {
        var total = 0.0
        var i = 0
        while i + 16 <= count {
            let end = min(count, i + 1024)
            var a = SIMD16<Float>()
            while i + 16 <= end { a = a.addingProduct(load16(x + i), load16(y + i)); i += 16 }
            total += Double(a.sum())
        }
        while i < count { total += Double(x[i]) * Double(y[i]); i += 1 }
        return total
    }

    /// x *= factor.
    public static func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
        var i = 0
        while i + 16 <= count { store16(load16(x + i) * factor, x + i); i += 16 }
        while i < count { x[i] *= factor; i += 1 }
    }

    /// y += factor · x (axpy).
    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int,
                           scale factor: Float = 1) {
        var i = 0
        while i + 16 <= count { store16(load16(y + i).addingProduct(load16(x + i), factor), y + i); i += 16 }
        while i < count { y[i] += factor * x[i]; i += 1 }
    }

    /// x[i] = value for every i.
    public static func fill(_ x: UnsafeMutablePointer<Float>, count: Int, value: Float) {
        x.update(repeating: value, count: count)
    }

    /// x[i] = 0 for every i.
    public static func zero(_ x: UnsafeMutablePointer<Float>, count: Int) {
        x.update(repeating: 0, count: count)
    }

    /// Copies `count` floats (the ranges may overlap).
    public static func copy(from source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, count: Int) {
        memmove(destination, source, count * MemoryLayout<Float>.stride)
    }

    /// True when no element is NaN or ±inf (checked 16 lanes at a time: x - x is 0 only for finite x).
    public static func allFinite(_ x: UnsafePointer<Float>, count: Int) -> Bool {
        var i = 0
        var acc = SIMD16<Float>()
        while i + 16 <= count { let u = load16(x + i); acc += u - u; i += 16 }
        if acc != SIMD16<Float>() { return false }
        while i < count { if !x[i].isFinite { return false }; i += 1 }
        return true
    }
}
