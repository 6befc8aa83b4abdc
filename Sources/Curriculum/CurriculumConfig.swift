import Support

/// How a step is formed from the prepared data.
public enum Batching: String, Sendable, CaseIterable {
    /// The paper's VSL batches: one bucket per step, b/2^i sequences of length 2^i (method.md §3).
    case bucket
    /// A step filled to the token budget with sequences of several lengths drawn by the curriculum odds.
    case mixed
    /// Baseline: concat-and-chunk at `context_length`, attention across documents.
    case concat
    /// Baseline: concat-and-chunk at `context_length` with document masking.
    case concatMasked = "concat_masked"
    /// Baseline: best-fit packing at `context_length` with document masking.
    case packed
}

/// How many tokens of each bucket the run takes (method.md §4, "mixture").
public enum Mixture: Equatable, Sendable {
    /// The corpus's own proportions.
    case natural
    /// The same number of tokens from every selected bucket.
    case equal
    /// Tokens per bucket k, given in the config (relative weights when `total_tokens` is also given).
    case explicit([Int: Double])
}

/// The curriculum's odds per bucket (method.md §4 table), or explicit odds.
public enum Schedule: String, Sendable, CaseIterable {
    case uniform, growLinear = "grow_linear", growP2 = "grow_p2", growP100 = "grow_p100"
    case shrinkLinear = "shrink_linear", shrinkP2 = "shrink_p2", shrinkP100 = "shrink_p100"
    /// Odds listed in `curriculum.odds`, one per selected bucket in ascending order.
    case explicit = "odds"
}

/// The weight a bucket gets when a step picks its bucket (method.md §4, "Weights").
public enum WeightRule: String, Sendable, CaseIterable {
    /// Paper Algorithm 1: w_i = o_i.
    case odds
    /// Reference code: w_i = B_i·o_i, with B_i the bucket's batches in this cycle.
    case batchesTimesOdds = "batches_x_odds"
}

/// Which algorithm splits a step's sequences across ranks.
public enum PartitionerKind: String, Sendable, CaseIterable {
    /// Longest-processing-time greedy with a preference for the owner rank.
    case lpt
    /// Karmarkar–Karp largest differencing (multiway), subsets matched to ranks by owner overlap.
    case karmarkarKarp = "karmarkar_karp"
}

/// Options of the step balancer (section "curriculum.balance").
public struct BalanceConfig: Equatable, Sendable {
    /// The partitioner.
    public var partitioner: PartitionerKind = .lpt
    /// The per-sequence cost model α·l + β·l².
    public var cost = CostModel(alpha: 1, beta: 1.0 / 4096)
    /// Whether the trainer replaces α, β by timing forward+backward at two lengths at start.
    public var calibrate = false
    /// Steps between speed-factor updates from measured per-rank step times (0: speeds stay equal).
    public var speedUpdateEvery = 20
    /// Whether to keep sequences on their owner when that costs nothing (fewer tokens moved).
    public var locality = true

    /// Defaults: LPT, α = 1, β = 1/4096 (roughly a 384-wide model), no calibration, speeds every 20 steps.
    public init() {}

    /// Parses the "balance" section; unknown keys are rejected.
    public static func parse(_ r: ConfigReader) throws -> BalanceConfig {
        var b = BalanceConfig()
        b.partitioner = PartitionerKind(rawValue: try r.choice("partitioner", PartitionerKind.allCases.map(\.rawValue), default: "lpt"))!
        let alpha = try r.double("alpha", default: b.cost.alpha, min: 0)
        let beta = try r.double("beta", default: b.cost.beta, min: 0)
        guard alpha + beta > 0 else {
            throw DDError.config(r.keyPath("alpha"), "alpha and beta are both zero, so every sequence would cost nothing", fix: "give alpha > 0 or beta > 0")
        }
        b.cost = CostModel(alpha: alpha, beta: beta)
        b.calibrate = try r.bool("calibrate", default: false)
        b.speedUpdateEvery = try r.int("speed_update_every", default: b.speedUpdateEvery, min: 0)
        b.locality = try r.bool("locality", default: true)
        try r.finish()
        return b
    }
}

/// The "curriculum" section of the config: mixture, odds, cycles, step size and balancing.
public struct CurriculumConfig: Equatable, Sendable {
    /// How steps are formed.
    public var batching: Batching = .bucket
    /// The baselines' fixed length L (the concat/packed layout of that length is used).
    public var contextLength = 2048
    /// Tokens per bucket over the run.
    public var mixture: Mixture = .natural
    /// The buckets k used (nil: every bucket the data has).
    public var buckets: [Int]? = nil
    /// The odds table.
    public var schedule: Schedule = .growP2
    /// Explicit odds (schedule "odds"), one per selected bucket in ascending k.
    public var odds: [Double] = []
    /// Number of curriculum cycles (method.md §4; the headline uses 8).
    public var cycles = 8
    /// Algorithm 1's weights or the reference code's.
    public var weights: WeightRule = .odds
    /// Tokens per optimisation step b (trained positions).
    public var tokensPerStep = 65_536
    /// Tokens of the whole run (0: as many as the data holds in the chosen buckets or layout).
    public var totalTokens = 0
    /// Seed of the schedule and of the sequence order.
    public var seed: UInt64 = 1234
    /// Balancing options.
    public var balance = BalanceConfig()

    /// The defaults: bucket batching, natural mixture, Grow-P2, 8 cycles, paper weights, 64Ki tokens per step.
    public init() {}

    /// Whether the step's attention is restricted to each document (baselines with masking, and DD, whose
    /// sequences hold one document each).
    public var documentMasking: Bool { batching != .concat }

    /// Parses the "curriculum" section; unknown keys are rejected with their full path.
    public static func parse(_ r: ConfigReader) throws -> CurriculumConfig {
        var c = CurriculumConfig()
        c.batching = Batching(rawValue: try r.choice("batching", Batching.allCases.map(\.rawValue), default: "bucket"))!
        c.contextLength = try r.int("context_length", default: c.contextLength, min: 1)
        c.mixture = try parseMixture(r)
        if r.has("buckets") {
            let ks = try r.intArray("buckets")
            guard !ks.isEmpty, Set(ks).count == ks.count, ks.allSatisfy({ (0...40).contains($0) }) else {
                throw DDError.config(r.keyPath("buckets"), "expected distinct bucket exponents k in 0...40, got \(ks)",
                                     fix: "list the buckets to train on, e.g. [8, 9, 10, 11, 12, 13]")
            }
            c.buckets = ks.sorted()
        }
        c.schedule = Schedule(rawValue: try r.choice("schedule", Schedule.allCases.map(\.rawValue), default: "grow_p2"))!
        if c.schedule == .explicit {
            c.odds = try r.doubleArray("odds")
            if let bad = c.odds.firstIndex(where: { !($0 > 0) || !$0.isFinite }) {
                throw DDError.config(r.keyPath("odds[\(bad)]"), "odds must be positive and finite, got \(c.odds[bad])", fix: "give a positive weight per bucket")
            }
        } else if r.has("odds") {
            throw DDError.config(r.keyPath("odds"), "explicit odds given with schedule \"\(c.schedule.rawValue)\"",
                                 fix: "set \"schedule\": \"odds\" or remove \"odds\"")
        }
        c.cycles = try r.int("cycles", default: c.cycles, min: 1)
        c.weights = WeightRule(rawValue: try r.choice("weights", WeightRule.allCases.map(\.rawValue), default: "odds"))!
        c.tokensPerStep = try r.int("tokens_per_step", default: c.tokensPerStep, min: 1)
        c.totalTokens = try r.int("total_tokens", default: 0, min: 0)
        c.seed = UInt64(try r.int("seed", default: Int(c.seed), min: 0))
        c.balance = try BalanceConfig.parse(try r.section("balance"))
        try r.finish()
        return c
    }

    private static func parseMixture(_ r: ConfigReader) throws -> Mixture {
        guard let j = r.raw("mixture") else { return .natural }
        if let s = j.stringValue {
            switch s {
            case "natural": return .natural
            case "equal": return .equal
            default:
                throw DDError.config(r.keyPath("mixture"), "unknown mixture \"\(s)\"",
                                     fix: "use \"natural\", \"equal\" or an object of tokens per bucket like {\"8\": 1e6, \"9\": 2e6}")
            }
        }
        guard let pairs = j.objectValue, !pairs.isEmpty else {
            throw DDError.config(r.keyPath("mixture"), "expected a string or an object, got \(j.kindName)",
                                 fix: "use \"natural\", \"equal\" or {\"8\": tokens, \"9\": tokens}")
        }
        var m: [Int: Double] = [:]
        for (key, v) in pairs {
            guard let k = Int(key), (0...40).contains(k) else {
                throw DDError.config(r.keyPath("mixture.\(key)"), "key is not a bucket exponent", fix: "use keys like \"8\" for bucket 2^8")
            }
            guard let x = v.doubleValue, x >= 0, x.isFinite else {
                throw DDError.config(r.keyPath("mixture.\(key)"), "expected a token count >= 0, got \(v.compact)", fix: "write a number of tokens")
            }
            m[k] = x
        }
        return .explicit(m)
    }
}
