/// Layer normalisation with a learned gain and no bias: y = (x − μ) · rstd · g, rstd = 1/√(var(x)+eps).
///
/// Shapes: x, y, dy, dx [T, C]; gain, dgain [C]; mean, rstd [T] (saved by forward for backward).
/// y may alias x, and dx may alias dy (each row is read completely before it is written).
public enum LayerNorm {
    /// Normalises each row; stores its mean and 1/std (two-pass variance for accuracy).
    public static func forward(x: UnsafePointer<Float>, gain: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                               mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
                               tokens: Int, width: Int, eps: Float, pool: WorkerPool = .serial) {
        pool.ranges(count: tokens) { rows in for t in rows {
            let xr = x + t * width, yr = y + t * width
            var acc = SIMD16<Float>()
            var i = 0
            while i + 16 <= width { acc += load16(xr + i); i += 16 }
            var s = acc.sum()
            while i < width { s += xr[i]; i += 1 }
            let mu = s / Float(width)
            acc = SIMD16<Float>()
            i = 0
            while i + 16 <= width { let u = load16(xr + i) - mu; acc = acc.addingProduct(u, u); i += 16 }
            var ss = acc.sum()
            while i < width { ss += (xr[i] - mu) * (xr[i] - mu); i += 1 }
            let r = 1 / (ss / Float(width) + eps).squareRoot()
            mean[t] = mu
            rstd[t] = r
            i = 0
            while i + 16 <= width { store16((load16(xr + i) - mu) * r * load16(gain + i), yr + i); i += 16 }
            while i < width { yr[i] = (xr[i] - mu) * r * gain[i]; i += 1 }
        } }
    }

    /// dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ∘x̂)) with ĝ = dy∘g (overwrites dx); dgain += Σ_t dy∘x̂.
    public static func backward(x: UnsafePointer<Float>, gain: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                                rstd: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                                dgain: UnsafeMutablePointer<Float>, tokens: Int, width: Int, pool: WorkerPool = .serial) {
        // The gain gradient first: dx may alias dy.
        NormGain.accumulate(x: x, mean: mean, rstd: rstd, dy: dy, dgain: dgain, tokens: tokens, width: width, pool: pool)
        pool.ranges(count: tokens) { rows in for t in rows {
            let xr = x + t * width, dyr = dy + t * width, dxr = dx + t * width
            let mu = mean[t], r = rstd[t]
            var accG = SIMD16<Float>(), accGX = SIMD16<Float>()
            var i = 0
            while i + 16 <= width {
                let xh = (load16(xr + i) - mu) * r, d = load16(dyr + i)
                let g = d * load16(gain + i)
                accG += g
                accGX = accGX.addingProduct(g, xh)
                i += 16
            }
            var sG = accG.sum(), sGX = accGX.sum()
            while i < width {
                let xh = (xr[i] - mu) * r, g = dyr[i] * gain[i]
                sG += g
                sGX += g * xh
                i += 1
            }
            let mG = sG / Float(width), mGX = sGX / Float(width)
            i = 0
            while i + 16 <= width {
                let xh = (load16(xr + i) - mu) * r
                store16(r * (load16(dyr + i) * load16(gain + i) - mG - xh * mGX), dxr + i)
                i += 16
            }
            while i < width { dxr[i] = r * (dyr[i] * gain[i] - mG - (xr[i] - mu) * r * mGX); i += 1 }
        } }
    }
}
