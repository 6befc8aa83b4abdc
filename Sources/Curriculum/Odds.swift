import Support

/// The curriculum odds o_i of method.md §4 for a list of buckets.
public enum Odds {
    /// Odds for `buckets` (exponents k in ascending order) under `schedule`, with j = max − k.
    ///
    /// Grow-* favour short buckets (Grow-P2: 2^j), Shrink-* mirror them so the longest is favoured.
    /// `explicit` must hold one positive value per bucket.
    public static func table(_ schedule: Schedule, buckets: [Int], explicit: [Double] = []) throws -> [Double] {
        guard let hi = buckets.max(), let lo = buckets.min() else { return [] }
        if schedule == .explicit {
            guard explicit.count == buckets.count else {
                throw DDError.config("curriculum.odds", "\(explicit.count) odds for \(buckets.count) buckets \(buckets)",
                                     fix: "give one odd per bucket, shortest first")
            }
            return explicit
        }
        return buckets.map { k in
            let grow = Double(hi - k), shrink = Double(k - lo)
            switch schedule {
            case .uniform: return 1
            case .growLinear: return grow + 1
            case .growP2: return pow2(grow)
            case .growP100: return pow100(grow)
            case .shrinkLinear: return shrink + 1
            case .shrinkP2: return pow2(shrink)
            case .shrinkP100: return pow100(shrink)
            case .explicit: return 1
            }
        }
    }

    private static func pow2(_ j: Double) -> Double { var x = 1.0; for _ in 0..<Int(j) { x *= 2 }; return x }
    private static func pow100(_ j: Double) -> Double { var x = 1.0; for _ in 0..<Int(j) { x *= 100 }; return x }
}
