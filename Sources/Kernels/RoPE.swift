#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Rotary position embedding (Su et al., RoFormer, arXiv 2104.09864), applied in place to q or k.
///
/// Shapes: x [T, H, D] (row stride H·D), positions [T]. Within each head, the pair (x[2i], x[2i+1]) is
/// rotated by the angle position·θ_i with θ_i = base^(−2i/D). An odd last element (odd D) is left as is.
/// Positions restart at 0 for every packed sequence, which is what makes packing equivalent to separate runs.
public enum RoPE {
    /// Rotates every pair forward by position·θ_i (in place).
    public static func forward(x: UnsafeMutablePointer<Float>, positions: UnsafePointer<Int32>,
                               tokens: Int, heads: Int, headDim: Int, base: Float) {
        rotate(x, positions, tokens, heads, headDim, base, inverse: false)
    }

    /// Back-propagates through `forward`: the rotation is orthogonal, so the gradient is rotated back (in place).
    public static func backward(dx: UnsafeMutablePointer<Float>, positions: UnsafePointer<Int32>,
                                tokens: Int, heads: Int, headDim: Int, base: Float) {
        rotate(dx, positions, tokens, heads, headDim, base, inverse: true)
    }

    /// Applies R(pos) (or R(pos)ᵀ when `inverse`) to every head of every token.
    static func rotate(_ x: UnsafeMutablePointer<Float>, _ positions: UnsafePointer<Int32>, _ tokens: Int,
                       _ heads: Int, _ headDim: Int, _ base: Float, inverse: Bool) {
        let pairs = headDim / 2
        if pairs == 0 || tokens == 0 { return }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * pairs) { cs in
            let cosv = cs.baseAddress!, sinv = cs.baseAddress! + pairs
            let logBase = log(Double(base))
            for t in 0..<tokens {
                // Angles in Double: position·θ reaches ~1e4 rad at 16k positions, where Float would lose ~1e-3 rad.
                let pos = Double(positions[t])
                for i in 0..<pairs {
                    let angle = pos * exp(-Double(2 * i) / Double(headDim) * logBase)
                    cosv[i] = Float(cos(angle))
                    sinv[i] = Float(inverse ? -sin(angle) : sin(angle))
                }
                for h in 0..<heads {
                    let row = x + (t * heads + h) * headDim
                    for i in 0..<pairs {
                        let a = row[2 * i], b = row[2 * i + 1], c = cosv[i], s = sinv[i]
                        row[2 * i] = a * c - b * s
                        row[2 * i + 1] = a * s + b * c
                    }
                }
            }
        }
    }
}
