/// A variant's curve over its seeds: at each x, the mean over the seeds and their minimum and maximum.
public struct SeedCurve: Equatable {
    public var x: [Double] = []
    public var mean: [Double] = []
    public var low: [Double] = []
    public var high: [Double] = []

    /// An empty curve.
    public init() {}

    /// The mean line as plot points.
    public var points: [(x: Double, y: Double)] { zip(x, mean).map { ($0, $1) } }

    /// The min–max band (empty for one seed: there is no spread to show).
    public func band(seeds: Int) -> [(x: Double, low: Double, high: Double)] {
        seeds < 2 ? [] : (0..<x.count).map { (x[$0], low[$0], high[$0]) }
    }

    /// Adds a point from the seeds' values at one x (the mean of their x positions).
    mutating func append(xs: [Double], ys: [Double]) {
        x.append(xs.reduce(0, +) / Double(xs.count))
        mean.append(ys.reduce(0, +) / Double(ys.count))
        low.append(ys.min()!)
        high.append(ys.max()!)
    }
}

/// The curves the report plots per variant, aggregated over its seeds.
public enum ReportGroupCurves {
    /// Held-out loss over training, at every evaluation step all the variant's runs share (the last record of a step
    /// when a resumed run evaluated it twice; the untrained model's evaluation left out): the mean loss, its min–max,
    /// and as x the mean over the runs of `x` (tokens seen, or wall time).
    public static func loss(_ g: ReportGroup, x: (ReportEval) -> Double) -> SeedCurve {
        let perRun = g.runs.map { r in
            Dictionary(ReportPlots.trainedEvals(r).map { ($0.step, $0) }, uniquingKeysWith: { _, last in last })
        }
        let steps = perRun.dropFirst().reduce(Set(perRun[0].keys)) { $0.intersection($1.keys) }.sorted()
        var curve = SeedCurve()
        for step in steps {
            let evals = perRun.map { $0[step]! }
            curve.append(xs: evals.map(x), ys: evals.map(\.loss))
        }
        return curve
    }

    /// Final held-out loss per bucket length, at the lengths every run of the variant was scored at.
    public static func lossPerLength(_ g: ReportGroup) -> SeedCurve {
        let losses = g.runs.map { $0.finalEval?.bucketLosses ?? [:] }
        let lengths = losses.dropFirst().reduce(Set(losses[0].keys)) { $0.intersection($1.keys) }.sorted()
        var curve = SeedCurve()
        for l in lengths { curve.append(xs: [Double(l)], ys: losses.map { $0[l]! }) }
        return curve
    }
}
