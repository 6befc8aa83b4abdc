import Support

/// Per-rank speed factors learned from measured step times, so a slower rank gets proportionally less work.
///
/// Every rank records the same inputs (the partition's predicted per-rank times, `Assignment.loads`, and the
/// allgathered measured compute seconds), so every rank holds the same factors and the partition stays
/// identical everywhere. Factors feed the partitioner only, never the choice of a step's sequences.
/// Seconds must be compute time before the gradient sync: the time spent waiting for the others would hide
/// exactly the differences this measures.
public struct SpeedEstimator: Sendable {
    /// Current speed factor of every rank (mean 1).
    public private(set) var speeds: [Double]
    /// Steps accumulated between updates (0: never update).
    public let updateEvery: Int
    /// Weight of a new measurement against the old factors (1: replace; smaller: smoother).
    public let smoothing: Double
    private var costSum: [Double]
    private var timeSum: [Double]
    private var steps = 0

    /// Equal speeds for `ranks` ranks, updated every `updateEvery` recorded steps.
    public init(ranks: Int, updateEvery: Int, smoothing: Double = 0.5) {
        speeds = [Double](repeating: 1, count: ranks)
        costSum = speeds.map { _ in 0 }
        timeSum = costSum
        self.updateEvery = updateEvery
        self.smoothing = min(1, max(0, smoothing))
    }

    /// Records one step: `costs` are the predicted per-rank times of the partition made with the current
    /// `speeds` (`Assignment.loads`: cost / speed), `seconds` the measured compute seconds of every rank.
    /// Returns true when this call updated `speeds`.
    @discardableResult
    public mutating func record(costs: [Double], seconds: [Double]) -> Bool {
        precondition(costs.count == speeds.count && seconds.count == speeds.count)
        guard updateEvery > 0 else { return false }
        for r in speeds.indices where costs[r] > 0 && seconds[r] > 0 && seconds[r].isFinite {
            // Back to work at speed 1, so the window can span steps partitioned with different factors.
            costSum[r] += costs[r] * speeds[r]
            timeSum[r] += seconds[r]
        }
        steps += 1
        guard steps >= updateEvery else { return false }
        // Throughput (cost per second) of each rank over the window; ranks without data keep their factor.
        var rates = speeds.indices.map { timeSum[$0] > 0 ? costSum[$0] / timeSum[$0] : 0.0 }
        let measured = rates.filter { $0 > 0 }
        if !measured.isEmpty {
            let mean = measured.reduce(0, +) / Double(measured.count)
            let oldMean = speeds.indices.filter { rates[$0] > 0 }.reduce(0.0) { $0 + speeds[$1] } / Double(measured.count)
            for r in speeds.indices where rates[r] > 0 {
                rates[r] = rates[r] / mean * oldMean
                speeds[r] = (1 - smoothing) * speeds[r] + smoothing * rates[r]
            }
            let total = speeds.reduce(0, +) / Double(speeds.count)
            for r in speeds.indices { speeds[r] /= total }
        }
        costSum = costSum.map { _ in 0 }
        timeSum = timeSum.map { _ in 0 }
        steps = 0
        return true
    }

    /// Restores factors saved in a checkpoint (the measurement window starts empty); ignored unless there is
    /// one positive finite factor per rank.
    public mutating func restore(speeds saved: [Double]) {
        guard saved.count == speeds.count, saved.allSatisfy({ $0 > 0 && $0.isFinite }) else { return }
        speeds = saved
        costSum = speeds.map { _ in 0 }
        timeSum = costSum
        steps = 0
    }
}
