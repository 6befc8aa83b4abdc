import Comm
import Kernels
import Support
import Trainer
#if canImport(Glibc)
import Glibc
#endif

/// `ddtrain bench train`: data-parallel scaling, 2 ranks × 1 thread over 1 rank × 1 thread on the same model and
/// the same global batches, and the exposed communication share of the 2-rank step time.
let benchTrainPart = Subcommand(
    name: "train", summary: "tokens/s of 2 ranks over 1 rank on the same global batches; exposed communication share",
    help: """
    usage: ddtrain bench train [--config FILE] [--set key=value ...] [--steps N] [--warmup N] [--ranks 1,2] [--json]

    Prepares nothing: the config's data.dir must hold a prepared dataset (configs/default.json by default;
    prepare it first, e.g. with launch/main or `ddtrain prepare --config FILE` under launch/run -n 2). Starts
    `mpirun -np R` for each R in --ranks (one OpenBLAS thread per rank), runs --warmup untimed and --steps timed
    training steps without evaluation or checkpoints, and prints tokens/s per world size, the speed-up over the
    first, and the share of step time spent waiting for communication. Targets: ≥ 1.9x, ≤ 3%.
    """,
    options: ["config": true, "set": true, "steps": true, "warmup": true, "ranks": true, "json": false, "worker": false]
) { args in
    let configPath = args.value("config") ?? "configs/default.json"
    let steps = try args.int("steps", default: 12, command: "bench train")
    let warmup = try args.int("warmup", default: 2, command: "bench train")
    if args.flag("worker") {
        let comm = try World.communicator()
        Matmul.setThreads(1)
        Log.quiet = true
        let config = try TrainingConfig.load(path: configPath, overrides: args.all("set") + ["train.eval_every=0"])
        let run = "/tmp/ddtrain-bench-train-\(getppid())-\(comm.size)"
        let session = try TrainingSession(config: config, runDirectory: run, resume: false, comm: comm)
        let result = try session.benchmark(steps: steps, warmup: warmup)
        if comm.rank == 0 { print(result.compact); _ = try? FileIO.listDirectory(run).map { unlink(run + "/" + $0) }; rmdir(run) }
        return 0
    }
    let worlds = try args.intList("ranks", default: [1, 2], command: "bench train")
    var results: [JSON] = []
    for n in worlds {
        var argv = ["mpirun", "-np", String(n), "--bind-to", "core", "--map-by", "core", "-x", "OPENBLAS_NUM_THREADS=1",
                    "--mca", "btl_vader_single_copy_mechanism", "none"]
        if getuid() == 0 { argv.append("--allow-run-as-root") }
        if n > Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) { argv += ["--oversubscribe", "--bind-to", "none"] }
        argv += [ChildProcess.selfPath, "bench", "train", "--worker", "--config", configPath, "--steps", String(steps), "--warmup", String(warmup)]
        for s in args.all("set") { argv += ["--set", s] }
        let (status, out) = try ChildProcess.run(argv)
        guard status == 0, let line = out.split(separator: "\n").last, let j = try? JSONParser.parse(String(line)) else {
            throw DDError("bench train: the \(n)-rank job failed (exit \(status)); run it by hand to see why: \(argv.joined(separator: " "))")
        }
        results.append(j)
    }
    let base = results.first?["tokens_per_s"]?.doubleValue ?? 1
    let baseCPU = results.first?["tokens_per_cpu_s"]?.doubleValue ?? 1
    let rows: [JSON] = results.map { r in
        r.setting("speedup_over_first", to: .number((r["tokens_per_s"]?.doubleValue ?? 0) / base))
            .setting("cpu_speedup_over_first", to: .number((r["tokens_per_cpu_s"]?.doubleValue ?? 0) / baseCPU))
    }
    if args.flag("json") {
        printBenchJSON(JSON.obj(["bench": .string("train"), "config": .string(configPath), "runs": .array(rows),
                        "speedup": .number((rows.last?["speedup_over_first"]?.doubleValue) ?? 1),
                        "cpu_time_speedup": .number((rows.last?["cpu_speedup_over_first"]?.doubleValue) ?? 1),
                        "exposed_comm_share": .number(rows.last?["exposed_comm_share"]?.doubleValue ?? 0)]))
    } else {
        print("bench train: \(configPath), \(steps) timed steps after \(warmup) warm-up, 1 OpenBLAS thread per rank")
        print("ranks".padded(7) + "tokens/s".leftPadded(12) + "speed-up".leftPadded(10) + "tok/cpu-s".leftPadded(11)
              + "cpu speed-up".leftPadded(14) + "exposed comm".leftPadded(14) + "comm time".leftPadded(11))
        for r in rows {
            let secs = r["seconds"]?.doubleValue ?? 1
            print(String(r["ranks"]?.intValue ?? 0).padded(7) + fixed(r["tokens_per_s"]?.doubleValue ?? 0, 0).leftPadded(12)
                  + (fixed(r["speedup_over_first"]?.doubleValue ?? 0, 2) + "x").leftPadded(10)
                  + fixed(r["tokens_per_cpu_s"]?.doubleValue ?? 0, 0).leftPadded(11)
                  + (fixed(r["cpu_speedup_over_first"]?.doubleValue ?? 0, 2) + "x").leftPadded(14)
                  + (fixed(100 * (r["exposed_comm_share"]?.doubleValue ?? 0), 1) + "%").leftPadded(14)
                  + (fixed(100 * (r["comm_s"]?.doubleValue ?? 0) / secs, 1) + "%").leftPadded(11))
        }
        print("targets: speed-up >= 1.90x, exposed communication <= 3%")
        print("(cpu speed-up: tokens per CPU-second of the busiest rank, robust when other work shares the cores)")
    }
    return 0
}
