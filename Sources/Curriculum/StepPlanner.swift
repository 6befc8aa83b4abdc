import Support

/// What global step t trains on: every rank computes the same value without communication.
public struct StepPlan: Equatable, Sendable {
    /// The step number (0-based).
    public var step: Int
    /// The curriculum cycle it belongs to.
    public var cycle: Int
    /// Layouts (indices into the planner's layouts) the step draws from, in ascending order.
    public var layouts: [Int]
    /// The step's sequences, layout by layout in stream order.
    public var sequences: [SequenceRef]
    /// Whether attention must stay inside each document (false only for plain concat-and-chunk).
    public var documentMasking: Bool

    /// Trained positions of the step.
    public var tokens: Int { sequences.reduce(0) { $0 + $1.length } }
}

/// Plans the run: which sequences form step t, as a pure function of (config, layout counts, world size, seed, t).
///
/// Construction precomputes the per-cycle step composition (cheap, one entry per step); `plan(step:)` then
/// costs O(sequences in the step). Owner rank of a sequence = shard % worldSize.
public struct StepPlanner: Sendable {
    /// The configuration it was built with.
    public let config: CurriculumConfig
    /// The data's layouts; SequenceRef.layout indexes this list.
    public let layouts: [LayoutCounts]
    /// Ranks of the training world.
    public let worldSize: Int
    /// Seed of the schedule and the sequence order.
    public let seed: UInt64
    /// Layout indices the run draws from, in ascending bucket order (one for the baselines).
    public let activeLayouts: [Int]
    /// Odds per active layout (all 1 for the baselines).
    public let odds: [Double]
    /// Planned trained tokens per active layout over the whole run.
    public let plannedTokens: [Int]
    /// The run's step composition.
    public let schedule: StepSchedule
    private let streams: [Int: SequenceStream]

    /// Builds the plan of a run; throws a `DDError` naming the config key when the data cannot satisfy it.
    public init(config: CurriculumConfig, layouts: [LayoutCounts], worldSize: Int, seed: UInt64? = nil) throws {
        guard worldSize >= 1 else { throw DDError("world size \(worldSize) is not positive (fix: run with at least one rank)") }
        self.config = config
        self.layouts = layouts
        self.worldSize = worldSize
        self.seed = seed ?? config.seed
        let b = config.tokensPerStep
        let selection = try StepPlanner.select(config, layouts)
        activeLayouts = selection.layouts
        let lengths = activeLayouts.map { layouts[$0].trainedLength }
        for (i, l) in activeLayouts.enumerated() where b % lengths[i] != 0 {
            throw DDError.config("curriculum.tokens_per_step", "\(b) is not a multiple of the sequence length \(lengths[i]) of \(layouts[l].kind)",
                                 fix: "use a multiple of \(lengths.max()!), e.g. \(max(1, b / lengths.max()!) * lengths.max()!)")
        }
        plannedTokens = selection.tokens
        switch config.batching {
        case .bucket, .mixed:
            odds = try Odds.table(config.schedule, buckets: activeLayouts.map { StepPlanner.bucketK(layouts[$0]) }, explicit: config.odds)
            if config.batching == .bucket {
                let batches = plannedTokens.map { $0 / b }
                schedule = StepSchedule.buckets(layouts: activeLayouts, batches: batches, perBatch: lengths.map { b / $0 },
                                                odds: odds, rule: config.weights, cycles: config.cycles, seed: self.seed)
            } else {
                schedule = StepSchedule.mixed(layouts: activeLayouts, lengths: lengths, sequences: zip(plannedTokens, lengths).map { $0 / $1 },
                                              odds: odds, rule: config.weights, cycles: config.cycles, budget: b, seed: self.seed)
            }
        case .concat, .concatMasked, .packed:
            odds = [1]
            schedule = StepSchedule.fixed(layout: activeLayouts[0], perStep: b / lengths[0], steps: plannedTokens[0] / b)
        }
        guard schedule.totalSteps > 0 else {
            throw DDError.config("curriculum.total_tokens", "the run has no step: \(plannedTokens.reduce(0, +)) tokens planned, fewer than one step of \(b) per bucket",
                                 fix: "raise total_tokens, prepare more data or lower tokens_per_step")
        }
        var streams: [Int: SequenceStream] = [:]
        for l in activeLayouts { streams[l] = SequenceStream(layout: l, counts: layouts[l], worldSize: worldSize, seed: self.seed) }
        self.streams = streams
    }

    /// Number of steps of the run.
    public var totalSteps: Int { schedule.totalSteps }

    /// Number of cycles (1 for the baselines).
    public var cycles: Int { schedule.cycleStartStep.count - 1 }

    /// Steps of every cycle.
    public var stepsPerCycle: [Int] { (0..<cycles).map { schedule.cycleStartStep[$0 + 1] - schedule.cycleStartStep[$0] } }

    /// The steps of cycle `c`.
    public func steps(ofCycle c: Int) -> Range<Int> { schedule.cycleStartStep[c]..<schedule.cycleStartStep[c + 1] }

    /// The plan of step `step` (0 ≤ step < totalSteps).
    public func plan(step: Int) -> StepPlan {
        precondition(step >= 0 && step < totalSteps, "step \(step) outside 0..<\(totalSteps)")
        var seqs: [SequenceRef] = []
        var used: [Int] = []
        for e in schedule.entries[schedule.stepEntryStart[step]..<schedule.stepEntryStart[step + 1]] {
            streams[e.layout]!.append(from: e.start, count: e.count, to: &seqs)
            used.append(e.layout)
        }
        return StepPlan(step: step, cycle: schedule.cycle(ofStep: step), layouts: used.sorted(), sequences: seqs,
                        documentMasking: config.documentMasking)
    }

    /// The owner rank of a sequence.
    @inline(__always) public func owner(_ s: SequenceRef) -> Int { s.shard % worldSize }

    static func bucketK(_ l: LayoutCounts) -> Int { if case let .bucket(k) = l.kind { return k }; return 0 }

    /// The layouts the run draws from and the tokens planned for each (method.md §4 mixture).
    static func select(_ c: CurriculumConfig, _ layouts: [LayoutCounts]) throws -> (layouts: [Int], tokens: [Int]) {
        switch c.batching {
        case .concat, .concatMasked, .packed:
            let want: LayoutKind = c.batching == .packed ? .packed(c.contextLength) : .concat(c.contextLength)
            guard let i = layouts.firstIndex(where: { $0.kind == want }), layouts[i].totalSequences > 0 else {
                let have = layouts.filter { $0.totalSequences > 0 }.map(\.kind.description).joined(separator: ", ")
                throw DDError.config("curriculum.context_length", "batching \"\(c.batching.rawValue)\" needs layout \(want), which the data lacks (it has: \(have))",
                                     fix: "prepare the data with that baseline or set context_length to a prepared length")
            }
            let tokens = c.totalTokens > 0 ? c.totalTokens : layouts[i].totalTrainedTokens
            return ([i], [tokens])
        case .bucket, .mixed:
            var byK: [Int: Int] = [:]
            for (i, l) in layouts.enumerated() { if case let .bucket(k) = l.kind, l.totalSequences > 0 { byK[k] = i } }
            var ks: [Int]
            if case let .explicit(m) = c.mixture { ks = m.filter { $0.value > 0 }.keys.sorted() } else { ks = byK.keys.sorted() }
            if let chosen = c.buckets { ks = ks.filter { chosen.contains($0) } }
            for k in c.buckets ?? ks where byK[k] == nil {
                throw DDError.config("curriculum.buckets", "bucket \(k) has no training sequences in the data (it has: \(byK.keys.sorted()))",
                                     fix: "remove bucket \(k) or prepare data with that bucket")
            }
            if case let .explicit(m) = c.mixture, let k = m.keys.sorted().first(where: { m[$0]! > 0 && byK[$0] == nil }) {
                throw DDError.config("curriculum.mixture.\(k)", "bucket \(k) has no training sequences in the data (it has: \(byK.keys.sorted()))",
                                     fix: "remove it from the mixture or prepare data with that bucket")
            }
            guard !ks.isEmpty else {
                throw DDError.config("curriculum.buckets", "no bucket is selected that has training sequences (data has: \(byK.keys.sorted()))",
                                     fix: "prepare data with buckets or choose buckets that exist")
            }
            let idx = ks.map { byK[$0]! }
            let avail = idx.map { Double(layouts[$0].totalTrainedTokens) }
            let availTotal = avail.reduce(0, +)
            let total = c.totalTokens > 0 ? Double(c.totalTokens) : availTotal
            let tokens: [Double]
            switch c.mixture {
            case .natural: tokens = avail.map { total * $0 / availTotal }
            case .equal: tokens = avail.map { _ in total / Double(ks.count) }
            case let .explicit(m):
                let given = ks.map { m[$0]! }
                let sum = given.reduce(0, +)
                tokens = c.totalTokens > 0 ? given.map { total * $0 / sum } : given
            }
            return (idx, tokens.map { Int($0.rounded(.down)) })
        }
    }
}
