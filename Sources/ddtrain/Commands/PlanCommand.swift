import Corpus
import Curriculum
import Support
import Trainer

/// `ddtrain plan`: simulates the curriculum's plan and the balancer for a world of N ranks, without training.
let planCommand = Command(
    name: "plan", summary: "simulate the step plan and the balancer for N ranks (per-cycle cost, moves, lengths)",
    help: """
    usage: ddtrain plan --world N [--config FILE] [--set key.path=value ...] [--data DIR | --counts FILE | --synthetic] [options]

    Plans every step of the run (or the first --cycles cycles) from the config's "curriculum" section and
    balances each over N ranks, printing per cycle: steps; the predicted imbalance max/mean, time-weighted over
    the cycle (Σ slowest rank ÷ Σ mean rank: what the cycle costs against a perfect balance); the mean and worst
    per-step max/mean of the full steps (at least N sequences); apart, the short steps (fewer sequences than
    ranks, a cycle's tail, where some rank must idle): their count, time-weighted and worst max/mean; stored
    tokens moved per step, and the mean sequence length through each tenth of the cycle; then, for a
    curriculum (docs/method.md), each length's odds and its share of the tokens through a cycle, and
    how the step count follows from the tokens asked for.
      --world N          ranks of the simulated world (1...65536)
      --config FILE      JSON config; only its "curriculum" section is read (defaults when absent)
      --set key=value    override a config key, repeatable (e.g. --set curriculum.schedule=uniform)
      --data DIR         read the prepared data's DIR/manifest.json (default: the config's data.dir)
      --counts FILE      JSON array of layouts {"kind": "bucket8", "trained_length": 256, "train_counts": [...]}
      --synthetic        synthetic buckets of equal tokens (with --sequences, --shards, --buckets, --skew)
      --sequences M      synthetic: sequences in all [1000000]
      --shards S         synthetic: shards (preparing ranks) [N]
      --buckets A,B      synthetic: smallest and largest bucket exponent [8,13]
      --skew F           synthetic: shard s holds 1 + F·s/(S−1) times the first shard's share [0]
      --speeds LIST      per-rank speed factors, comma-separated (default all equal)
      --cycles C         simulate only the first C cycles
      --steps K          also print the first K steps one per line
      --json             one JSON object (with every step when --steps is given)
    """,
    options: ["world": true, "config": true, "set": true, "data": true, "counts": true, "synthetic": false, "sequences": true,
              "shards": true, "buckets": true, "skew": true, "speeds": true, "cycles": true, "steps": true, "json": false]
) { args in
    let cmd = "plan"
    let world = try args.int("world", default: 0, command: cmd)
    guard (1...65536).contains(world) else { throw DDError.usage("ddtrain plan: --world must be in 1...65536 (got \(args.value("world") ?? "none"))") }
    var config = CurriculumConfig()
    var dataDir = args.value("data")
    if args.value("config") != nil || !args.all("set").isEmpty {
        let file = try args.value("config").map { try FileIO.readJSON($0) } ?? .object([])
        let root = try ConfigReader(try ConfigOverrides.apply(args.all("set"), to: file))
        config = try CurriculumConfig.parse(try root.section("curriculum"))
        if dataDir == nil, let d = root.raw("data")?["dir"]?.stringValue { dataDir = d }
    }
    let layouts: [LayoutCounts], source: String
    if args.flag("synthetic") || (dataDir == nil && args.value("counts") == nil) {
        let b = try args.intList("buckets", default: [8, 13], command: cmd)
        guard b.count == 2, b[0] >= 0, b[0] <= b[1], b[1] <= 30 else { throw DDError.usage("ddtrain plan: --buckets expects MIN,MAX with 0 <= MIN <= MAX <= 30, e.g. 8,13") }
        let sequences = try args.int("sequences", default: 1_000_000, command: cmd)
        let shards = try args.int("shards", default: world, command: cmd)
        guard sequences > 0, shards > 0 else { throw DDError.usage("ddtrain plan: --sequences and --shards must be positive") }
        guard let skew = Double(args.value("skew") ?? "0"), skew >= 0 else { throw DDError.usage("ddtrain plan: --skew expects a number >= 0") }
        layouts = syntheticLayoutCounts(minBucket: b[0], maxBucket: b[1], sequences: sequences, shards: shards, skew: skew)
        source = "synthetic: \(sequences) sequences, buckets \(b[0])...\(b[1]), \(shards) shards, skew \(skew)"
    } else if let path = args.value("counts") {
        guard let items = try FileIO.readJSON(path).arrayValue else {
            throw DDError.file(path, "expected a JSON array of layouts", fix: "write [{\"kind\": \"bucket8\", \"trained_length\": 256, \"train_counts\": [...]}, ...]")
        }
        layouts = try items.enumerated().map { try LayoutCounts.parse($1, where: "\(path)[\($0)]") }
        source = path
    } else {
        layouts = DataLayouts.counts(try Manifest.read(directory: dataDir!))
        source = dataDir! + "/manifest.json"
    }
    let speeds: [Double]
    if let list = args.value("speeds") {
        speeds = try list.split(separator: ",").map {
            guard let x = Double($0), x > 0 else { throw DDError.usage("ddtrain plan: --speeds expects positive numbers like 1,1,0.5, got '\(list)'") }
            return x
        }
        guard speeds.count == world else { throw DDError.usage("ddtrain plan: --speeds has \(speeds.count) values for --world \(world)") }
    } else {
        speeds = [Double](repeating: 1, count: world)
    }
    let t0 = monotonicSeconds()
    let planner = try StepPlanner(config: config, layouts: layouts, worldSize: world)
    let cycles = min(planner.cycles, try args.int("cycles", default: planner.cycles, command: cmd))
    let printSteps = try args.int("steps", default: 0, command: cmd)
    let json = args.flag("json")
    var stepJSON: [JSON] = []
    let summaries = PlanSimulation.run(planner, partitioner: Partitioner(config.balance), speeds: speeds, cycles: 0..<max(0, cycles)) { s in
        guard s.step < printSteps else { return }
        if json {
            stepJSON.append(.obj(["step": .int(s.step), "cycle": .int(s.cycle), "sequences": .int(s.sequences), "tokens": .int(s.tokens),
                                  "max_cost": .number(s.maxLoad), "mean_cost": .number(s.meanLoad), "moved_sequences": .int(s.movedSequences),
                                  "moved_tokens": .int(s.movedTokens), "mean_length": .number(s.meanLength)]))
        } else {
            print("step \(s.step) cycle \(s.cycle): \(s.sequences) sequences, \(s.tokens) tokens, mean length \(fixed(s.meanLength, 0)), "
                  + "max/mean \(fixed(s.imbalance, 3)), moved \(s.movedSequences) sequences (\(s.movedTokens) tokens)")
        }
    }
    let seconds = monotonicSeconds() - t0
    let simulatedSteps = summaries.reduce(0) { $0 + $1.steps }
    if json {
        print(JSON.obj([
            "world": .int(world), "source": .string(source), "batching": .string(config.batching.rawValue),
            "schedule": .string(config.schedule.rawValue), "tokens_per_step": .int(config.tokensPerStep),
            "total_steps": .int(planner.totalSteps), "steps_per_cycle": .ints(planner.stepsPerCycle),
            "simulated_steps": .int(simulatedSteps), "seconds": .number(seconds),
            "cycles": .array(summaries.map { c in
                .obj(["cycle": .int(c.cycle), "steps": .int(c.steps), "imbalance_time_weighted": .number(c.all.timeWeighted),
                      "imbalance_mean": .number(c.full.mean), "imbalance_max": .number(c.full.worst),
                      "short_steps": .int(c.short.steps), "short_imbalance_time_weighted": .number(c.short.timeWeighted),
                      "short_imbalance_max": .number(c.short.worst), "moved_tokens_mean": .number(c.movedTokensMean),
                      "moved_tokens_max": .int(c.movedTokensMax), "mean_length_by_tenth": .doubles(c.meanLengthByTenth)])
            }),
            "steps": .array(stepJSON),
        ]).compact)
        return 0
    }
    print("plan: world \(world), batching \(config.batching.rawValue), \(PlanCurriculumView.scheduleText(planner)), "
          + "\(planner.totalSteps) steps of \(config.tokensPerStep) tokens; data \(source)")
    print(PlanCurriculumView.stepCountText(planner))
    print("max/mean: time-weighted over the cycle (Σ slowest ÷ Σ mean); full steps hold ≥ \(world) sequences; short steps fewer (some rank idles)")
    print("cycle".padded(6) + "steps".leftPadded(7) + "  time-weighted" + "  full steps (mean, worst)" + "  short steps (count, time-weighted, worst)"
          + "  moved tokens/step (mean, max)" + "  mean length by tenth of the cycle")
    for c in summaries {
        let full = c.full.steps > 0 ? fixed(c.full.mean, 3) + ", " + fixed(c.full.worst, 3) : "none"
        let short = c.short.steps > 0 ? "\(c.short.steps), " + fixed(c.short.timeWeighted, 3) + ", " + fixed(c.short.worst, 3) : "0"
        print(String(c.cycle).padded(6) + String(c.steps).leftPadded(7) + "  " + fixed(c.all.timeWeighted, 3).padded(13)
              + "  " + full.padded(24) + "  " + short.padded(41)
              + "  " + (fixed(c.movedTokensMean, 1) + ", " + String(c.movedTokensMax)).padded(29)
              + "  " + c.meanLengthByTenth.map { fixed($0, 0) }.joined(separator: " "))
    }
    for line in PlanCurriculumView.sharesByTenth(planner) { print(line) }
    print("planned and balanced \(simulatedSteps) steps in \(fixed(seconds, 2)) s")
    return 0
}
