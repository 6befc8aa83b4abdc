import Comm
import Kernels
import Support
import Trainer
#if canImport(Glibc)
import Glibc
#endif

/// `ddtrain bench train`: tokens/s, resident memory and exposed communication of job layouts (ranks × threads per
/// rank) on the same model and the same global batches.
let benchTrainPart = Subcommand(
    name: "train", summary: "tokens/s, resident memory and exposed communication per layout (ranks x threads) on the same batches",
    help: """
    usage: ddtrain bench train [--config FILE] [--set key=value ...] [--steps N] [--warmup N]
                               [--layouts 1x1,2x1,1x2 | --ranks 1,2] [--json]

    Prepares nothing: the config's data.dir must hold a prepared dataset (configs/default.json by default;
    prepare it first, e.g. with launch/main or `ddtrain prepare --config FILE` under launch/run -n 2). For each
    layout RxT (R ranks of T threads; --ranks 1,2 is short for --layouts 1x1,2x1) starts `mpirun -np R` with
    T bound cores per rank (--map-by slot:PE=T --bind-to core; oversubscribed and unbound, and said so, when
    R·T exceeds the cores), OPENBLAS_NUM_THREADS=T and train.threads=T, runs --warmup untimed and --steps timed
    training steps (default 2 and 12) without evaluation or checkpoints, and prints per layout: tokens/s, the
    speed-up over the first layout, the ranks' peak resident memory (VmHWM) summed, the share of step time spent
    waiting for communication (the wait after backward of the rank that waits least: what no compute hid) and
    for slower ranks (the ranks' mean wait beyond that: load imbalance), and tokens per core-second of the busiest rank (its CPU time over its threads:
    robust when other work shares the cores). Targets: 1x2 within 10% of 2x1 in tokens/s with less resident
    memory; exposed communication <= 3% with 2 ranks.
    """,
    options: ["config": true, "set": true, "steps": true, "warmup": true, "ranks": true, "layouts": true, "json": false, "worker": false]
) { args in
    let configPath = args.value("config") ?? "configs/default.json"
    let steps = try args.int("steps", default: 12, command: "bench train")
    let warmup = try args.int("warmup", default: 2, command: "bench train")
    if args.flag("worker") { return try benchTrainWorker(args, configPath: configPath, steps: steps, warmup: warmup) }
    let layouts = try benchTrainLayouts(args)
    let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    var results: [JSON] = []
    for layout in layouts {
        var argv = ["mpirun"] + layout.mpirunOptions(cores: cores) + ["--mca", "btl_vader_single_copy_mechanism", "none"]
        if getuid() == 0 { argv.append("--allow-run-as-root") }
        argv += [ChildProcess.selfPath, "bench", "train", "--worker", "--config", configPath, "--steps", String(steps), "--warmup", String(warmup)]
        // The layout's thread count comes last, so it wins over a --set of the same key.
        for s in args.all("set") + ["train.threads=\(layout.threads)"] { argv += ["--set", s] }
        let (status, out) = try ChildProcess.run(argv)
        guard status == 0, let line = out.split(separator: "\n").last, let j = try? JSONParser.parse(String(line)) else {
            throw DDError("bench train: the \(layout.name) job failed (exit \(status)); run it by hand to see why: \(argv.joined(separator: " "))")
        }
        results.append(j.setting("layout", to: .string(layout.name)).setting("bound", to: .bool(layout.bound(cores: cores))))
    }
    let report = BenchTrainReport(runs: results)
    if args.flag("json") {
        printBenchJSON(.object([("bench", .string("train")), ("config", .string(configPath)), ("steps", .int(steps)),
                                ("warmup", .int(warmup)), ("cores", .int(cores)), ("runs", .array(report.rows))] + report.summary))
    } else {
        print("bench train: \(configPath), \(steps) timed steps after \(warmup) warm-up, \(cores) cores")
        report.printTable()
    }
    return 0
}

/// The layouts asked for: `--layouts`, or `--ranks` (one thread each), or 1x1,2x1,1x2.
private func benchTrainLayouts(_ args: Arguments) throws -> [BenchTrainLayout] {
    switch (args.value("layouts"), args.value("ranks")) {
    case (.some, .some): throw DDError.usage("ddtrain bench train: give --layouts or --ranks, not both")
    case (.some(let text), nil): return try BenchTrainLayout.parseList(text)
    case (nil, .some): return try BenchTrainLayout.oneThreadEach(try args.intList("ranks", default: [], command: "bench train"))
    case (nil, nil): return [BenchTrainLayout(ranks: 1, threads: 1), BenchTrainLayout(ranks: 2, threads: 1), BenchTrainLayout(ranks: 1, threads: 2)]
    }
}

/// One layout's job, run by every rank under mpirun: the benchmark's JSON line from rank 0.
private func benchTrainWorker(_ args: Arguments, configPath: String, steps: Int, warmup: Int) throws -> Int32 {
    let config = try TrainingConfig.load(path: configPath, overrides: args.all("set") + ["train.eval_every=0"])
    let comm = try World.communicator()
    Matmul.setThreads(config.run.threads)
    Log.quiet = true
    let run = "/tmp/ddtrain-bench-train-\(getppid())-\(comm.size)"
    let session = try TrainingSession(config: config, runDirectory: run, resume: false, comm: comm)
    let result = try session.benchmark(steps: steps, warmup: warmup)
    if comm.rank == 0 { print(result.compact); _ = try? FileIO.listDirectory(run).map { unlink(run + "/" + $0) }; rmdir(run) }
    return 0
}
