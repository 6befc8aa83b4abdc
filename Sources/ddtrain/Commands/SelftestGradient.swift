import Comm
import Support
import Trainer

/// `ddtrain selftest gradient`: computes one global step's gradient (no update) and has rank 0 write it, so
/// tests can compare 1, 2 and 3 ranks on the same global batch.
let selftestGradientPart = Subcommand(
    name: "gradient", summary: "write the summed, token-normalised gradient of one global step (no update)",
    help: """
    usage: ddtrain selftest gradient --config FILE [--set key=value ...] --step S --out DIR

    Rank 0 writes DIR/gradient.f32 (the flat gradient, little-endian Float32) and DIR/gradient.json
    (loss, target tokens, parameters, the step's sequences per rank).
    """,
    options: ["config": true, "set": true, "step": true, "out": true]
) { args in
    let comm = try World.communicator()
    let config = try TrainingConfig.load(path: try args.required("config", command: "selftest gradient"), overrides: args.all("set"))
    let out = try args.required("out", command: "selftest gradient")
    let step = try args.int("step", default: 0, command: "selftest gradient")
    let session = try TrainingSession(config: config, runDirectory: out + "/run", resume: false, comm: comm)
    let probe = try session.gradientProbe(step: step)
    if comm.rank == 0 {
        try probe.gradient.withUnsafeBytes { try AtomicFile.write($0, to: out + "/gradient.f32") }
        try AtomicFile.write(JSON.obj(["loss": .number(probe.loss), "tokens": .int(probe.tokens), "ranks": .int(comm.size),
                                       "parameters": .int(probe.gradient.count)]).pretty, to: out + "/gradient.json")
    }
    try comm.barrier()
    return 0
}
