#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Rotary position embedding (Su et al., RoFormer, arXiv 2104.09864), applied in place to q or k.
///
/// Shapes: x [T, H, D] with row stride H·D, or `rowStride` when the rows are wider (q and k inside a fused
/// [T, 3C] q|k|v tensor), positions [T]. Within each head, the pair (x[2i], x[2i+1]) is
/// rotated by the angle position·θ_i with θ_i = base^(−2i/D). An odd last element (odd D) is left as is.
/// Positions restart at 0 for every packed sequence, which is what makes packing equivalent to separate runs.
public enum RoPE {
    /// Rotates every pair forward by position·θ_i (in place). With a `table` built for the same headDim and
    /// base, cos/sin come from it for positions it covers (much cheaper than computing them per call).
    public static func forward(x: UnsafeMutablePointer<Float>, positions: UnsafePointer<Int32>,
                               tokens: Int, heads: Int, headDim: Int, base: Float, table: RoPETable? = nil,
                               rowStride: Int? = nil, pool: WorkerPool = .serial) {
        pool.ranges(count: tokens) { rows in
            rotate(x + rows.lowerBound * (rowStride ?? heads * headDim), positions + rows.lowerBound, rows.count, heads,
                   headDim, base, table, rowStride ?? heads * headDim, inverse: false)
        }
    }

    /// Back-propagates through `forward`: the rotation is orthogonal, so the gradient is rotated back (in place).
    public static func backward(dx: UnsafeMutablePointer<Float>, positions: UnsafePointer<Int32>,
                                tokens: Int, heads: Int, headDim: Int, base: Float, table: RoPETable? = nil,
                                rowStride: Int? = nil, pool: WorkerPool = .serial) {
        pool.ranges(count: tokens) { rows in
            rotate(dx + rows.lowerBound * (rowStride ?? heads * headDim), positions + rows.lowerBound, rows.count, heads,
                   headDim, base, table, rowStride ?? heads * headDim, inverse: true)
        }
    }

    /// Applies R(pos) (or R(pos)ᵀ when `inverse`) to every head of every token.
    static func rotate(_ x: UnsafeMutablePointer<Float>, _ positions: UnsafePointer<Int32>, _ tokens: Int,
                       _ heads: Int, _ headDim: Int, _ base: Float, _ table: RoPETable?, _ stride: Int, inverse: Bool) {
        let pairs = headDim / 2
        if pairs == 0 || tokens == 0 { return }
        // A table made for another shape or base would silently rotate wrongly, so it is only used on a match.
        let usable = table.flatMap { $0.headDim == headDim && $0.base == base ? $0 : nil }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * pairs) { scratch in
            let sign: Float = inverse ? -1 : 1
            for t in 0..<tokens {
                let pos = Int(positions[t])
                let cosv: UnsafePointer<Float>, sinv: UnsafePointer<Float>
                if let usable, pos >= 0, pos < usable.maxPositions {
                    cosv = UnsafePointer(usable.cosines + pos * pairs)
                    sinv = UnsafePointer(usable.sines + pos * pairs)
                } else {
                    RoPETable.angles(position: pos, headDim: headDim, base: base, cos: scratch.baseAddress!,
                                     sin: scratch.baseAddress! + pairs)
                    cosv = UnsafePointer(scratch.baseAddress!)
                    sinv = UnsafePointer(scratch.baseAddress! + pairs)
                }
                for h in 0..<heads {
                    let row = x + t * stride + h * headDim
                    for i in 0..<pairs {
                        let a = row[2 * i], b = row[2 * i + 1], c = cosv[i], s = sign * sinv[i]
                        row[2 * i] = a * c - b * s
                        row[2 * i + 1] = a * s + b * c
                    }
                }
            }
        }
    }
}

/// Precomputed cos/sin of position·θ_i for positions 0 ..< maxPositions (2 · maxPositions · D/2 floats),
/// built once per model so that RoPE costs a table lookup instead of D/2 sin/cos per token and call.
public final class RoPETable {
    /// Head width the table was built for.
    public let headDim: Int
    /// RoPE base the table was built for.
    public let base: Float
    /// Positions covered; larger positions fall back to computing the angles.
    public let maxPositions: Int
    let cosines: UnsafeMutablePointer<Float>
    let sines: UnsafeMutablePointer<Float>

    /// Builds the table (angles in Double, see `angles`).
    public init(headDim: Int, base: Float, maxPositions: Int) {
        self.headDim = headDim
        self.base = base
        self.maxPositions = max(0, maxPositions)
        let pairs = headDim / 2
        cosines = .allocate(capacity: max(1, self.maxPositions * pairs))
        sines = .allocate(capacity: max(1, self.maxPositions * pairs))
        for p in 0..<self.maxPositions {
            Self.angles(position: p, headDim: headDim, base: base, cos: cosines + p * pairs, sin: sines + p * pairs)
        }
    }

    deinit {
        cosines.deallocate()
        sines.deallocate()
    }

    /// cos and sin of position·base^(−2i/D) for i < D/2. The angle is formed in Double: it reaches ~1e4 rad
    /// at 16k positions, where a Float angle would be off by ~1e-3 rad.
    static func angles(position: Int, headDim: Int, base: Float, cos cosv: UnsafeMutablePointer<Float>,
                       sin sinv: UnsafeMutablePointer<Float>) {
        let logBase = log(Double(base))
        for i in 0..<(headDim / 2) {
            let angle = Double(position) * exp(-Double(2 * i) / Double(headDim) * logBase)
            cosv[i] = Float(cos(angle))
            sinv[i] = Float(sin(angle))
        }
    }
}
