import Curriculum
import Kernels
import Support
import Transformer

/// Random sequences of the given lengths laid end to end, each with a target per token.
func randomPackedBatch(lengths: [Int], vocab: Int, seed: UInt64) -> PackedBatch {
    var rng = Xoshiro256(seed: seed)
    return PackedBatch(sequences: lengths.map { l in
        let ids = (0...l).map { _ in Int32(rng.nextInt(below: vocab)) }
        return (Array(ids.dropLast()), Array(ids.dropFirst()))
    })
}

/// The fastest of `repeats` timed forward+backward passes over `batch` (after one untimed warm-up).
func timeForwardBackward(_ model: Model, _ batch: PackedBatch, repeats: Int) throws -> Double {
    guard batch.count > 0 else { return 0 }
    _ = try model.forwardBackward(batch)
    var best = Double.infinity
    for _ in 0..<max(1, repeats) {
        let t0 = monotonicSeconds()
        _ = try model.forwardBackward(batch)
        best = min(best, monotonicSeconds() - t0)
    }
    return best
}

/// Times forward+backward on `tokens`-token steps of equal sequences of each length and fits α, β
/// (seconds per position and per position²) with `CostModel.fit`.
func calibrateCostModel(_ model: Model, lengths: [Int], tokens: Int, repeats: Int) throws -> (CostModel, [Double]) {
    var seconds: [Double] = []
    for (j, l) in lengths.enumerated() {
        let batch = randomPackedBatch(lengths: [Int](repeating: l, count: max(1, tokens / l)), vocab: model.config.vocab, seed: UInt64(100 + j))
        seconds.append(try timeForwardBackward(model, batch, repeats: repeats))
    }
    let fit = try CostModel.fit(lengths: lengths, sequences: lengths.map { max(1, tokens / $0) }, seconds: seconds)
    return (fit, seconds)
}

/// Reads the "model" section of a config file (vocabulary `vocab` unless the section sets it).
func modelConfigFromFile(_ path: String?, vocab: Int) throws -> ModelConfig {
    var section = ConfigReader.empty(path: "model")
    if let path { section = try ConfigReader(try FileIO.readJSON(path)).section("model") }
    let c = try ModelConfig.parse(section, vocab: section.has("vocab") ? nil : vocab)
    try c.validate()
    return c
}

/// `ddtrain calibrate`: fits the balancer's cost model α·l + β·l² for the configured model on this machine.
let calibrateCommand = Command(
    name: "calibrate", summary: "time forward+backward at several lengths and fit the balancer's cost model",
    help: """
    usage: ddtrain calibrate [--config FILE] [--lengths LIST] [--tokens N] [--repeat N] [--vocab V] [--json]

    Builds the model of the config's "model" section, times forward+backward of --tokens-token steps made of
    equal sequences of each length (fastest of --repeat after a warm-up), and fits time per sequence
    α·l + β·l² by least squares (α: seconds per position, β: seconds per position pair). Put the printed values
    in curriculum.balance.alpha and .beta. Timings on a shared machine vary; the ratio β/α is what matters.
      --config FILE     JSON config (its "model" section; defaults otherwise)
      --lengths LIST    sequence lengths [128,512,2048]
      --tokens N        tokens per timed step [4096]
      --repeat N        timed passes per length, fastest counts [2]
      --vocab V         vocabulary when the model section has none [257]
      --json            one JSON object
    """,
    options: ["config": true, "lengths": true, "tokens": true, "repeat": true, "vocab": true, "json": false]
) { args in
    let cmd = "calibrate"
    let lengths = try args.intList("lengths", default: [128, 512, 2048], command: cmd)
    let tokens = try args.int("tokens", default: 4096, command: cmd)
    let repeats = try args.int("repeat", default: 2, command: cmd)
    guard lengths.count >= 2, Set(lengths).count >= 2, lengths.allSatisfy({ $0 > 0 && $0 <= tokens }), repeats > 0 else {
        throw DDError.usage("ddtrain calibrate: --lengths needs two or more different lengths, each in 1...--tokens (\(tokens)); --repeat must be positive")
    }
    let config = try modelConfigFromFile(args.value("config"), vocab: try args.int("vocab", default: 257, command: cmd))
    Matmul.setThreads(1)
    let model = try Model(config: config, maxTokens: tokens, seed: 1)
    let (fit, seconds) = try calibrateCostModel(model, lengths: lengths, tokens: tokens, repeats: repeats)
    if args.flag("json") {
        print(JSON.obj(["alpha": .number(fit.alpha), "beta": .number(fit.beta), "lengths": .ints(lengths),
                        "tokens": .int(tokens), "seconds": .doubles(seconds)]).compact)
        return 0
    }
    for (l, s) in zip(lengths, seconds) {
        print("length \(String(l).leftPadded(6)): \(fixed(s * 1000, 1)) ms per \(tokens)-token step, fit \(fixed(Double(tokens / l) * fit.cost(l) * 1000, 1)) ms")
    }
    print("alpha \(fit.alpha)  beta \(fit.beta)  (beta/alpha = 1/\(fixed(fit.beta > 0 ? fit.alpha / fit.beta : .infinity, 0)))")
    print("config: \"curriculum\": {\"balance\": {\"alpha\": \(fit.alpha), \"beta\": \(fit.beta)}}")
    return 0
}
