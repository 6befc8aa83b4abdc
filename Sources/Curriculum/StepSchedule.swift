import Support

/// The whole run's step composition, computed once: for every step, how many sequences it takes from which
/// layouts, and where in each layout's stream they start. Cheap (one entry per step and layout used), and it
/// turns planning any step into O(batch) work.
public struct StepSchedule: Sendable {
    /// One layout's share of a step: `count` sequences from stream positions `start ..< start + count`.
    public struct Entry: Equatable, Sendable {
        /// Index into the planner's layouts.
        public var layout: Int
        /// Sequences taken.
        public var count: Int
        /// First stream position.
        public var start: Int
    }

    /// Entries of all steps, step after step.
    public private(set) var entries: [Entry] = []
    /// Step t's entries are entries[stepEntryStart[t] ..< stepEntryStart[t + 1]].
    public private(set) var stepEntryStart: [Int] = [0]
    /// Cycle c's steps are cycleStartStep[c] ..< cycleStartStep[c + 1].
    public private(set) var cycleStartStep: [Int] = [0]

    /// Number of steps of the run.
    public var totalSteps: Int { stepEntryStart.count - 1 }

    private var cursor: [Int: Int] = [:]

    /// An empty schedule, filled by the builders below.
    init() {}

    mutating func addStep(_ parts: [(layout: Int, count: Int)]) {
        for p in parts where p.count > 0 {
            let start = cursor[p.layout, default: 0]
            entries.append(Entry(layout: p.layout, count: p.count, start: start))
            cursor[p.layout] = start + p.count
        }
        stepEntryStart.append(entries.count)
    }

    mutating func endCycle() { cycleStartStep.append(totalSteps) }

    /// The cycle step `t` belongs to.
    public func cycle(ofStep t: Int) -> Int {
        var lo = 0, hi = cycleStartStep.count - 2
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if cycleStartStep[mid] <= t { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    /// Splits `total` items over `cycles` cycles as evenly as whole numbers allow.
    static func share(_ total: Int, cycle c: Int, of cycles: Int) -> Int {
        (c + 1) * total / cycles - c * total / cycles
    }

    /// Picks an index with probability ∝ weights[i] among those where `allowed(i)`; nil when none is.
    static func pick(_ weights: [Double], _ rng: inout Xoshiro256, allowed: (Int) -> Bool) -> Int? {
        var total = 0.0, last: Int? = nil
        for i in weights.indices where allowed(i) { total += weights[i]; last = i }
        guard let last else { return nil }
        var u = rng.nextDouble() * total
        for i in weights.indices where allowed(i) {
            u -= weights[i]
            if u < 0 { return i }
        }
        return last
    }

    /// Bucket batching (paper Algorithm 1): every cycle takes exactly its batches of each bucket; a step picks
    /// a bucket with probability ∝ its weight among those with batches left.
    /// `batches[i]` are the run's batches of bucket i, `perBatch[i]` the sequences of one batch.
    static func buckets(layouts: [Int], batches: [Int], perBatch: [Int], odds: [Double], rule: WeightRule,
                        cycles: Int, seed: UInt64) -> StepSchedule {
        var s = StepSchedule()
        for c in 0..<cycles {
            var left = batches.map { share($0, cycle: c, of: cycles) }
            let weights = odds.indices.map { rule == .odds ? odds[$0] : Double(left[$0]) * odds[$0] }
            var rng = Xoshiro256(seed: SplitMix64.derive(seed, 0xC7C1E, UInt64(c)))
            while let i = pick(weights, &rng, allowed: { left[$0] > 0 }) {
                left[i] -= 1
                s.addStep([(layouts[i], perBatch[i])])
            }
            s.endCycle()
        }
        return s
    }

    /// Mixed batching: every cycle takes exactly its sequences of each bucket; a step is filled to `budget`
    /// positions, each sequence's bucket drawn ∝ its weight among buckets with sequences left that still fit.
    /// Weights follow `rule`, with the cycle's tokens of the bucket (in steps) standing for B_i.
    static func mixed(layouts: [Int], lengths: [Int], sequences: [Int], odds: [Double], rule: WeightRule,
                      cycles: Int, budget: Int, seed: UInt64) -> StepSchedule {
        var s = StepSchedule()
        for c in 0..<cycles {
            var left = sequences.map { share($0, cycle: c, of: cycles) }
            let weights = odds.indices.map {
                rule == .odds ? odds[$0] : Double(left[$0] * lengths[$0]) / Double(budget) * odds[$0]
            }
            var rng = Xoshiro256(seed: SplitMix64.derive(seed, 0x313ED, UInt64(c)))
            while true {
                var space = budget
                var taken = [Int](repeating: 0, count: layouts.count)
                while let i = pick(weights, &rng, allowed: { left[$0] > 0 && lengths[$0] <= space }) {
                    left[i] -= 1
                    taken[i] += 1
                    space -= lengths[i]
                }
                if space == budget { break }
                s.addStep(layouts.indices.map { (layouts[$0], taken[$0]) })
            }
            s.endCycle()
        }
        return s
    }

    /// Baseline batching: `steps` steps of `perStep` sequences of one layout, in one cycle.
    static func fixed(layout: Int, perStep: Int, steps: Int) -> StepSchedule {
        var s = StepSchedule()
        for _ in 0..<steps { s.addStep([(layout, perStep)]) }
        s.endCycle()
        return s
    }
}
