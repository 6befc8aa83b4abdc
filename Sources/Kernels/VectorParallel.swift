/// The flat-buffer operations of `Vector` over a worker pool, for buffers that grow with the model or the tokens
/// (gradient norms and clipping, residual copies). Each gives the bits the one-thread operation gives.
extension Vector {
    /// `sumOfSquares` with its blocks on `pool`: each block's Float partial is computed as the one-thread loop does,
    /// then the partials are added in block order.
    public static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int, pool: WorkerPool) -> Double {
        if pool.threads == 1 { return sumOfSquares(x, count: count) }
        let whole = count / 16 * 16, blocks = (whole + sumBlock - 1) / sumBlock
        var partials = [Float](repeating: 0, count: blocks)
        partials.withUnsafeMutableBufferPointer { out in
            let out = out.baseAddress!
            pool.ranges(count: blocks) { range in
                for b in range {
                    out[b] = blockSumOfSquares(x + b * sumBlock, count: min(sumBlock, whole - b * sumBlock))
                }
            }
        }
        var total = 0.0
        for p in partials { total += Double(p) }
        for i in whole..<count { total += Double(x[i]) * Double(x[i]) }
        return total
    }

    /// x *= factor on `pool`.
    public static func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by factor: Float, pool: WorkerPool) {
        pool.ranges(count: count, align: 16) { r in scale(x + r.lowerBound, count: r.count, by: factor) }
    }

    /// y += factor · x on `pool`.
    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int,
                           scale factor: Float = 1, pool: WorkerPool) {
        pool.ranges(count: count, align: 16) { r in
            add(x + r.lowerBound, into: y + r.lowerBound, count: r.count, scale: factor)
        }
    }

    /// Copies `count` floats on `pool` (the ranges must not overlap).
    public static func copy(from source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, count: Int,
                            pool: WorkerPool) {
        pool.ranges(count: count, align: 16) { r in
            copy(from: source + r.lowerBound, to: destination + r.lowerBound, count: r.count)
        }
    }

    /// x[i] = 0 on `pool`.
    public static func zero(_ x: UnsafeMutablePointer<Float>, count: Int, pool: WorkerPool) {
        pool.ranges(count: count, align: 16) { r in zero(x + r.lowerBound, count: r.count) }
    }
}
