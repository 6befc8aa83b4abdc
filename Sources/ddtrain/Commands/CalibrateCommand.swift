import Curriculum
import Kernels
import Support
import Trainer
import Transformer

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
    let (fit, seconds) = try CostCalibration.measure(model, lengths: lengths, tokens: tokens, repeats: repeats)
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
