/// GELU in its tanh approximation (Hendrycks & Gimpel, arXiv 1606.08415; the GPT-2 form):
/// gelu(x) = ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
///
/// Shapes: x, out, dout, dx all [T, F] (pass count = T·F). dx is overwritten.
public enum GELU {
    static let k0: Float = 0.797_884_56  // √(2/π)
    static let k1: Float = 0.044_715

    /// tanh(u) = 1 − 2/(e^{2u} + 1), exact at both saturations with the clamped vector exp.
    @inline(__always)
    static func vtanh(_ u: SIMD8<Float>) -> SIMD8<Float> { 1 - 2 / (vexp(2 * u) + 1) }

    /// `forward` split over `pool` (each element on its own).
    public static func forward(x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, count: Int, pool: WorkerPool) {
        pool.ranges(count: count, align: 16) { r in forward(x: x + r.lowerBound, out: out + r.lowerBound, count: r.count) }
    }

    /// `backward` split over `pool` (each element on its own).
    public static func backward(x: UnsafePointer<Float>, dout: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                                count: Int, pool: WorkerPool) {
        pool.ranges(count: count, align: 16) { r in
            backward(x: x + r.lowerBound, dout: dout + r.lowerBound, dx: dx + r.lowerBound, count: r.count)
        }
    }

    /// out = gelu(x).
    public static func forward(x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            let v = load8(x + i)
            let th = vtanh(k0 * (v + k1 * v * v * v))
            store8(0.5 * v * (1 + th), out + i)
            i += 8
        }
        while i < count {
            let v = x[i], th = vtanh(SIMD8(repeating: k0 * (v + k1 * v * v * v)))[0]
            out[i] = 0.5 * v * (1 + th)
            i += 1
        }
    }

    /// dx = dout · (½(1 + tanh u) + ½·x·(1 − tanh² u)·√(2/π)(1 + 3·0.044715·x²)), u = √(2/π)(x + 0.044715x³).
    public static func backward(x: UnsafePointer<Float>, dout: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                                count: Int) {
        var i = 0
        while i + 8 <= count {
            let v = load8(x + i)
            let th = vtanh(k0 * (v + k1 * v * v * v))
            let du = k0 * (1 + 3 * k1 * v * v)
            store8(load8(dout + i) * (0.5 * (1 + th) + 0.5 * v * (1 - th * th) * du), dx + i)
            i += 8
        }
        while i < count {
            let v = x[i], th = vtanh(SIMD8(repeating: k0 * (v + k1 * v * v * v)))[0]
            let du = k0 * (1 + 3 * k1 * v * v)
            dx[i] = dout[i] * (0.5 * (1 + th) + 0.5 * v * (1 - th * th) * du)
            i += 1
        }
    }
}
