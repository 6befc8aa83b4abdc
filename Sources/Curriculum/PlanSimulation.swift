import Support

/// What the balancer predicts for one planned step.
public struct StepSummary: Sendable {
    /// Step number and its cycle.
    public var step: Int, cycle: Int
    /// Sequences and trained positions of the step.
    public var sequences: Int, tokens: Int
    /// Largest and mean predicted per-rank time (cost / speed).
    public var maxLoad: Double, meanLoad: Double
    /// Sequences that leave their owner, and the stored tokens they carry.
    public var movedSequences: Int, movedTokens: Int
    /// Mean trained length of the step's sequences.
    public var meanLength: Double { sequences > 0 ? Double(tokens) / Double(sequences) : 0 }
    /// Predicted imbalance max/mean.
    public var imbalance: Double { meanLoad > 0 ? maxLoad / meanLoad : 1 }
}

/// Predicted imbalance of a set of steps: time-weighted (Σ slowest rank ÷ Σ mean rank, what the steps cost
/// against a perfect balance), and the mean and worst of the per-step ratios max/mean.
public struct ImbalanceTally: Sendable {
    /// Steps counted.
    public private(set) var steps = 0
    /// Sums of the steps' slowest-rank and mean-rank times.
    public private(set) var maxLoadSum = 0.0, meanLoadSum = 0.0
    /// Largest per-step max/mean (0 when no step was counted).
    public private(set) var worst = 0.0
    private var ratioSum = 0.0

    public init() {}

    /// Counts one step.
    public mutating func add(_ s: StepSummary) {
        steps += 1
        maxLoadSum += s.maxLoad
        meanLoadSum += s.meanLoad
        ratioSum += s.imbalance
        worst = max(worst, s.imbalance)
    }

    /// Σ slowest ÷ Σ mean (1 when nothing was counted).
    public var timeWeighted: Double { meanLoadSum > 0 ? maxLoadSum / meanLoadSum : 1 }
    /// Mean of the per-step max/mean (0 when no step was counted).
    public var mean: Double { steps > 0 ? ratioSum / Double(steps) : 0 }
}

/// One cycle of a simulated plan, summarised.
public struct CycleSummary: Sendable {
    /// The cycle and its number of steps.
    public var cycle: Int, steps: Int
    /// Predicted imbalance over all the cycle's steps (its time-weighted figure is the cycle's cost against a
    /// perfect balance).
    public var all: ImbalanceTally
    /// Steps with at least as many sequences as ranks, which the balancer can fill.
    public var full: ImbalanceTally
    /// Steps with fewer sequences than ranks (a cycle's tail of long sequences): some rank idles whatever the
    /// balancer does, so their per-step ratio reaches the world size; shown apart so they do not hide the rest.
    public var short: ImbalanceTally
    /// Mean and largest stored tokens moved per step.
    public var movedTokensMean: Double, movedTokensMax: Int
    /// Mean sequence length in each tenth of the cycle (fewer entries when the cycle has under ten steps).
    public var meanLengthByTenth: [Double]
}

/// Plans and balances every step of some cycles, as the trainer would, without data or communication.
public enum PlanSimulation {
    /// Simulates `cycles` of `planner`'s run with `partitioner` and `speeds`; `each` sees every step's summary.
    public static func run(_ planner: StepPlanner, partitioner: Partitioner, speeds: [Double], cycles: Range<Int>,
                           each: (StepSummary) -> Void = { _ in }) -> [CycleSummary] {
        let n = planner.worldSize
        var out: [CycleSummary] = []
        for c in cycles {
            let steps = planner.steps(ofCycle: c)
            let tenths = min(10, steps.count)
            var lengthSum = [Double](repeating: 0, count: tenths), lengthCount = [Double](repeating: 0, count: tenths)
            var all = ImbalanceTally(), full = ImbalanceTally(), short = ImbalanceTally()
            var movedSum = 0.0, movedMax = 0
            for t in steps {
                let plan = planner.plan(step: t)
                let a = partitioner.assign(plan, speeds: speeds)
                var movedTokens = 0
                for (i, s) in plan.sequences.enumerated() where a.rankOf[i] != s.shard % n {
                    movedTokens += planner.layouts[s.layout].tokensPerSequence
                }
                let summary = StepSummary(step: t, cycle: c, sequences: plan.sequences.count, tokens: plan.tokens,
                                          maxLoad: a.maxLoad, meanLoad: a.meanLoad, movedSequences: a.moved, movedTokens: movedTokens)
                each(summary)
                all.add(summary)
                if summary.sequences < n { short.add(summary) } else { full.add(summary) }
                movedSum += Double(movedTokens)
                movedMax = max(movedMax, movedTokens)
                let tenth = (t - steps.lowerBound) * tenths / steps.count
                lengthSum[tenth] += summary.meanLength
                lengthCount[tenth] += 1
            }
            let count = Double(max(1, steps.count))
            out.append(CycleSummary(cycle: c, steps: steps.count, all: all, full: full, short: short,
                                    movedTokensMean: movedSum / count, movedTokensMax: movedMax,
                                    meanLengthByTenth: zip(lengthSum, lengthCount).map { $1 > 0 ? $0 / $1 : 0 }))
        }
        return out
    }
}

/// Synthetic layout counts for planning without data: buckets lo...hi holding equal tokens (as long documents
/// give), `sequences` in all, over `shards` shards whose sizes grow linearly by `skew` (0: equal; 1: the last
/// shard twice the first).
public func syntheticLayoutCounts(minBucket lo: Int, maxBucket hi: Int, sequences: Int, shards: Int, skew: Double) -> [LayoutCounts] {
    // Equal tokens per bucket: the count of bucket k is ∝ 2^-k.
    let weights = (lo...hi).map { 1.0 / Double(1 << ($0 - lo)) }
    let wsum = weights.reduce(0, +)
    let shardWeights = (0..<shards).map { 1 + skew * (shards > 1 ? Double($0) / Double(shards - 1) : 0) }
    let ssum = shardWeights.reduce(0, +)
    return (lo...hi).enumerated().map { j, k in
        let total = Int(Double(sequences) * weights[j] / wsum)
        var counts = shardWeights.map { Int(Double(total) * $0 / ssum) }
        for s in 0..<(total - counts.reduce(0, +)) { counts[s % shards] += 1 }
        return LayoutCounts(kind: .bucket(k), tokensPerSequence: (1 << k) + 1, trainCounts: counts)
    }
}
