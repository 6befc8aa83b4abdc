/// Root-mean-square normalisation with a learned gain (no bias): y = x · rstd · g, rstd = 1/√(mean(x²)+eps).
///
/// Shapes: x, y, dy, dx [T, C]; gain, dgain [C]; rstd [T] (saved by forward for backward).
/// y may alias x, and dx may alias dy (each row is read completely before it is written).
public enum RMSNorm {
    /// Normalises each of the `tokens` rows of width `width`; stores 1/rms per row in rstd.
    public static func forward(x: UnsafePointer<Float>, gain: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                               rstd: UnsafeMutablePointer<Float>, tokens: Int, width: Int, eps: Float,
                               pool: WorkerPool = .serial) {
        pool.ranges(count: tokens) { rows in for t in rows {
            let xr = x + t * width, yr = y + t * width
            var acc = SIMD16<Float>()
            var i = 0
            while i + 16 <= width { let u = load16(xr + i); acc = acc.addingProduct(u, u); i += 16 }
            var ss = acc.sum()
            while i < width { ss += xr[i] * xr[i]; i += 1 }
            let r = 1 / (ss / Float(width) + eps).squareRoot()
            rstd[t] = r
            i = 0
            while i + 16 <= width { store16(load16(xr + i) * r * load16(gain + i), yr + i); i += 16 }
            while i < width { yr[i] = xr[i] * r * gain[i]; i += 1 }
        } }
    }

    /// dx = rstd·(dy∘g − x̂·mean(dy∘g∘x̂)) with x̂ = x·rstd (overwrites dx); dgain += Σ_t dy∘x̂. The gain
    /// gradient runs on `pool` over column ranges (each sums its columns over t in order), then dx over rows.
    public static func backward(x: UnsafePointer<Float>, gain: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                                dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                                dgain: UnsafeMutablePointer<Float>, tokens: Int, width: Int, pool: WorkerPool = .serial) {
        // The gain gradient first: dx may alias dy.
        NormGain.accumulate(x: x, mean: nil, rstd: rstd, dy: dy, dgain: dgain, tokens: tokens, width: width, pool: pool)
        pool.ranges(count: tokens) { rows in
            for t in rows {
                let xr = x + t * width, dyr = dy + t * width, dxr = dx + t * width
                let r = rstd[t]
                var acc = SIMD16<Float>()
                var i = 0
                while i + 16 <= width {
                    acc = acc.addingProduct(load16(dyr + i) * load16(gain + i), load16(xr + i) * r)
                    i += 16
                }
                var dot = acc.sum()
                while i < width { dot += dyr[i] * gain[i] * (xr[i] * r); i += 1 }
                let c = dot / Float(width)
                i = 0
                while i + 16 <= width {
                    let xh = load16(xr + i) * r
                    store16(r * (load16(dyr + i) * load16(gain + i) - xh * c), dxr + i)
                    i += 16
                }
                while i < width { dxr[i] = r * (dyr[i] * gain[i] - xr[i] * r * c); i += 1 }
            }
        }
    }
}
