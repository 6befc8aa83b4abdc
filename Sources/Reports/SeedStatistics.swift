import Support

/// Mean, sample standard deviation and range of one measure over a variant's seeds.
public struct SeedStatistics: Equatable {
    /// How many values were finite (the seeds that produced the measure).
    public let count: Int
    public let mean: Double
    /// Sample standard deviation (divisor n − 1); NaN with fewer than two values.
    public let sd: Double
    public let min: Double
    public let max: Double

    /// The statistics of the finite values in `values` (a diverged run's NaN loss, or a target never reached, does
    /// not count); every field but `count` is NaN when none is finite.
    public init(_ values: [Double]) {
        let xs = values.filter(\.isFinite)
        count = xs.count
        guard !xs.isEmpty else {
            (mean, sd, min, max) = (.nan, .nan, .nan, .nan)
            return
        }
        let m = xs.reduce(0, +) / Double(xs.count)
        mean = m
        // Two passes (deviations from the mean) so near-equal values keep their digits.
        sd = xs.count < 2 ? .nan : (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)).squareRoot()
        min = xs.min()!
        max = xs.max()!
    }

    /// "mean ± sd" with `decimals` decimals; just the mean for one value; "—" for none.
    public func text(_ decimals: Int) -> String {
        guard count > 0 else { return "—" }
        return count < 2 ? fixed(mean, decimals) : fixed(mean, decimals) + " ± " + fixed(sd, decimals)
    }

    /// count, mean, sd, min and max (null where not finite), for report.json.
    public var json: JSON {
        func n(_ x: Double) -> JSON { x.isFinite ? .number(x) : .null }
        return .obj(["n": .int(count), "mean": n(mean), "sd": n(sd), "min": n(min), "max": n(max)])
    }
}

/// The difference between two variants' means, and whether the seeds settle it.
public struct SeedDifference: Equatable {
    /// `a.mean − b.mean`.
    public let delta: Double
    /// True only when |delta| exceeds twice the larger of the two standard deviations, and each side has at least
    /// two values (one seed says nothing about the spread).
    public let resolved: Bool

    /// Compares `a` with `b`.
    public init(_ a: SeedStatistics, _ b: SeedStatistics) {
        delta = a.mean - b.mean
        let spread = Swift.max(a.sd, b.sd)
        resolved = a.count >= 2 && b.count >= 2 && delta.isFinite && spread.isFinite && abs(delta) > 2 * spread
    }

    /// The signed difference with `decimals` decimals, in bold with ✓ when resolved; "—" when not finite.
    public func text(_ decimals: Int) -> String {
        guard delta.isFinite else { return "—" }
        let s = (delta > 0 ? "+" : "") + fixed(delta, decimals)
        return resolved ? "**\(s)** ✓" : s
    }

    /// The legend line every table of differences carries.
    public static let legend = "A difference is marked resolved (bold, ✓) only when it exceeds twice the larger of the two "
        + "variants' sample standard deviations over seeds, and both have at least 2 seeds; unmarked differences are unresolved."
}
