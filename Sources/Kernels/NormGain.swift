/// The gain gradient of a norm, dgain += Σ_t dy_t ∘ x̂_t with x̂ = (x − mean)·rstd (mean 0 for RMSNorm).
///
/// Split over column ranges (multiples of 16): each worker sums its columns over all tokens in token order, so
/// every element is summed in the same order whatever the thread count — the sum a one-thread loop gives.
enum NormGain {
    static func accumulate(x: UnsafePointer<Float>, mean: UnsafePointer<Float>?, rstd: UnsafePointer<Float>,
                           dy: UnsafePointer<Float>, dgain: UnsafeMutablePointer<Float>, tokens: Int, width: Int,
                           pool: WorkerPool) {
        let simdWidth = width / 16 * 16
        pool.ranges(count: width, align: 16) { columns in
            let simdEnd = min(columns.upperBound, simdWidth)
            for t in 0..<tokens {
                let xr = x + t * width, dyr = dy + t * width
                let mu = mean?[t] ?? 0, r = rstd[t]
                var i = columns.lowerBound
                while i < simdEnd {
                    let xh = (load16(xr + i) - mu) * r
                    store16(load16(dgain + i).addingProduct(load16(dyr + i), xh), dgain + i)
                    i += 16
                }
                while i < columns.upperBound { dgain[i] += dyr[i] * ((xr[i] - mu) * r); i += 1 }
            }
        }
    }
}
