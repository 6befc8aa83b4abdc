import Curriculum
import Kernels
import Support
import Trainer
import Transformer

/// `ddtrain bench balance`: measured per-rank compute time of mixed-length steps split by the balancer versus
/// an equal-count split.
let benchBalancePart = Subcommand(
    name: "balance", summary: "measured max/mean per-rank compute of mixed-length steps: balancer vs equal-count split",
    help: """
    usage: ddtrain bench balance [options]

    Calibrates the cost model α·l + β·l² for the model (three lengths), plans mixed-length steps (uniform odds over
    buckets --buckets, --tokens per step), and splits each step over --ranks ranks twice: with the LPT balancer
    and with an equal-count split (a seeded shuffle dealt round robin, as a plain loader would). Every rank's
    share is timed with forward+backward in this one process, one share after another, so the simulated ranks
    do not compete for cores; the fastest of --repeat passes counts. Prints measured max/mean per step for both
    splits and the balancer's prediction. Target: ≤ 1.05 with the balancer.

    options:
      --ranks N         simulated ranks [2]
      --steps K         steps, spread through the cycle [6]
      --tokens N        tokens per step [8192]
      --buckets A,B     smallest and largest bucket exponent [6,10]
      --set KEY=VALUE   override a model key (defaults: layers 2, dim 128, heads 2, vocab 257); repeatable
      --repeat N        timed passes per share, fastest counts [3]
      --json            one JSON object
    """,
    options: ["ranks": true, "steps": true, "tokens": true, "buckets": true, "set": true, "repeat": true, "json": false]
) { args in
    let cmd = "bench balance"
    let ranks = try args.int("ranks", default: 2, command: cmd)
    let stepCount = try args.int("steps", default: 6, command: cmd)
    let tokens = try args.int("tokens", default: 8192, command: cmd)
    let repeats = try args.int("repeat", default: 3, command: cmd)
    let b = try args.intList("buckets", default: [6, 10], command: cmd)
    guard ranks >= 1, stepCount >= 1, repeats >= 1, b.count == 2, b[0] >= 1, b[0] <= b[1], tokens % (1 << b[1]) == 0 else {
        throw DDError.usage("ddtrain \(cmd): --ranks, --steps and --repeat must be positive, --buckets MIN,MAX with MIN <= MAX, and --tokens a multiple of 2^MAX")
    }
    var base = JSON.obj(["layers": .int(2), "dim": .int(128), "heads": .int(2), "vocab": .int(257)])
    base = try ConfigOverrides.apply(args.all("set").map { $0.hasPrefix("model.") ? String($0.dropFirst(6)) : $0 }, to: base)
    let modelConfig = try ModelConfig.parse(ConfigReader(base, path: "model"))
    try modelConfig.validate()
    Matmul.setThreads(1)
    let model = try Model(config: modelConfig, maxTokens: tokens, seed: 1)
    let (cost, _) = try CostCalibration.measure(model, lengths: [1 << b[0], 1 << ((b[0] + b[1]) / 2), 1 << b[1]], tokens: max(1 << b[1], tokens / ranks), repeats: repeats)

    var config = CurriculumConfig()
    config.batching = .mixed
    config.schedule = .uniform
    config.cycles = 1
    config.tokensPerStep = tokens
    config.balance.cost = cost
    let layouts = syntheticLayoutCounts(minBucket: b[0], maxBucket: b[1], sequences: 64 * stepCount * tokens >> b[0],
                                        shards: ranks, skew: 0)
    config.totalTokens = 4 * stepCount * tokens
    let planner = try StepPlanner(config: config, layouts: layouts, worldSize: ranks)
    let balancer = Partitioner(kind: .lpt, cost: cost)
    let speeds = [Double](repeating: 1, count: ranks)

    /// Measured max/mean of per-rank forward+backward times when rank r computes `shares[r]`. The shares are
    /// timed in turn within each repeat, so a burst of load from other processes hits them alike.
    func measure(_ shares: [[Int]], seed: UInt64) throws -> (ratio: Double, times: [Double]) {
        let batches = shares.enumerated().map { r, lengths in CostCalibration.randomBatch(lengths: lengths, vocab: modelConfig.vocab, seed: seed &+ UInt64(r)) }
        for batch in batches where batch.count > 0 { _ = try model.forwardBackward(batch) }
        var times = [Double](repeating: .infinity, count: ranks)
        for _ in 0..<repeats {
            for (r, batch) in batches.enumerated() {
                guard batch.count > 0 else { times[r] = 0; continue }
                let t0 = monotonicSeconds()
                _ = try model.forwardBackward(batch)
                times[r] = min(times[r], monotonicSeconds() - t0)
            }
        }
        let mean = times.reduce(0, +) / Double(ranks)
        return (mean > 0 ? times.max()! / mean : 1, times)
    }

    var rows: [JSON] = []
    var sumBalanced = 0.0, sumEqual = 0.0, sumPredicted = 0.0
    let json = args.flag("json")
    if !json {
        print("model: \(modelConfig.layers) layers, dim \(modelConfig.dim), \(modelConfig.heads) heads; cost model alpha \(cost.alpha) beta \(cost.beta)")
        print("step".padded(6) + "seqs".leftPadded(6) + "lengths".leftPadded(12) + "predicted".leftPadded(11) + "balanced".leftPadded(10) + "equal-count".leftPadded(13))
    }
    for i in 0..<stepCount {
        let t = i * planner.totalSteps / stepCount
        let plan = planner.plan(step: t)
        let lengths = plan.sequences.map(\.length)
        let a = balancer.assign(plan, speeds: speeds)
        var balancedShares = [[Int]](repeating: [], count: ranks)
        for (j, r) in a.rankOf.enumerated() { balancedShares[r].append(lengths[j]) }
        var order = Array(lengths.indices)
        var rng = Xoshiro256(seed: SplitMix64.derive(7, UInt64(t)))
        rng.shuffle(&order)
        var equalShares = [[Int]](repeating: [], count: ranks)
        for (k, j) in order.enumerated() { equalShares[k % ranks].append(lengths[j]) }
        let balanced = try measure(balancedShares, seed: UInt64(t) << 8)
        let equal = try measure(equalShares, seed: UInt64(t) << 8)
        sumBalanced += balanced.ratio; sumEqual += equal.ratio; sumPredicted += a.imbalance
        let span = "\(lengths.min() ?? 0)-\(lengths.max() ?? 0)"
        rows.append(.obj(["step": .int(t), "sequences": .int(lengths.count), "predicted": .number(a.imbalance),
                          "balanced": .number(balanced.ratio), "equal_count": .number(equal.ratio),
                          "balanced_seconds": .doubles(balanced.times), "equal_count_seconds": .doubles(equal.times)]))
        if !json {
            print(String(t).padded(6) + String(lengths.count).leftPadded(6) + span.leftPadded(12) + fixed(a.imbalance, 3).leftPadded(11)
                  + fixed(balanced.ratio, 3).leftPadded(10) + fixed(equal.ratio, 3).leftPadded(13))
        }
    }
    let n = Double(stepCount)
    if json {
        printBenchJSON(JSON.obj(["ranks": .int(ranks), "tokens_per_step": .int(tokens), "alpha": .number(cost.alpha), "beta": .number(cost.beta),
                        "mean_predicted": .number(sumPredicted / n), "mean_balanced": .number(sumBalanced / n),
                        "mean_equal_count": .number(sumEqual / n), "steps": .array(rows)]))
    } else {
        print("mean max/mean: balanced \(fixed(sumBalanced / n, 3)) (predicted \(fixed(sumPredicted / n, 3))), equal-count \(fixed(sumEqual / n, 3)); target <= 1.05 balanced")
    }
    return 0
}
