import Comm
import Kernels
import Interop
import Support
import Trainer

/// `ddtrain train`: the main job.
let trainCommand = Command(
    name: "train", summary: "train a model from a JSON config (under mpirun: data-parallel over ranks)",
    help: """
    usage: ddtrain train --config FILE [--set key.path=value ...] [--out RUNDIR] [--resume[=auto]] [--init-from CHECKPOINT]

    Each step: plan → exchange → forward/backward → gradient sync (overlapping backward) → clip → AdamW →
    learning-rate schedule. Writes RUNDIR/config.json, RUNDIR/metrics.jsonl (one JSON object per step and per
    evaluation), RUNDIR/checkpoints/ and RUNDIR/summary.json.
      --config FILE        the run's config (see configs/)
      --set key=value      override any config key, repeatable (e.g. --set optim.lr=1e-3)
      --out RUNDIR         run folder (default runs/<config name>)
      --resume             continue from the newest checkpoint in RUNDIR that verifies
      --resume=auto        the same when RUNDIR holds a checkpoint, else start the run (requeued cluster jobs;
                           also train.resume: "auto")
      --init-from PATH     start from the parameters of a checkpoint file, or of an export folder
                           (ddtrain export, or a float32/16 Llama model.safetensors; shapes must match the config)
      --json               print the summary as one JSON object on stdout
    """,
    options: ["config": true, "set": true, "out": true, "resume": false, "init-from": true, "json": false]
) { args in
    // The config is read before MPI starts: its train.watchdog_s decides the MPI thread level. Every rank reads the
    // same file, so a bad config fails on every rank alike and none is left waiting.
    let configPath = try args.required("config", command: "train")
    let config = try TrainingConfig.load(path: configPath, overrides: args.all("set"))
    let comm = try World.communicator(watchdogSeconds: config.run.watchdogSeconds)
    Matmul.setThreads(config.run.threads)
    Interruption.install()
    let out = runFolder(args, configPath: configPath)
    let mode = try ResumeMode.flag(present: args.flag("resume"), value: args.value("resume")) ?? config.run.resume
    let session = try TrainingSession(config: config, runDirectory: out, resume: try mode.resolve(runDirectory: out, comm: comm),
                                      initFrom: args.value("init-from"), importer: ModelImport.importer, comm: comm)
    let summary = try session.run()
    if comm.rank == 0 {
        if args.flag("json") {
            print(summary.compact)
        } else {
            let eval = summary["final_eval"]?["loss"]?.doubleValue ?? .nan
            print("done: \(summary["steps"]?.intValue ?? 0) steps, \(summary["tokens"]?.intValue ?? 0) tokens in "
                  + "\(fixed(summary["wall_seconds"]?.doubleValue ?? 0, 1)) s (\(Int(summary["tokens_per_s"]?.doubleValue ?? 0)) tokens/s); "
                  + "held-out loss \(fixed(eval, 4)); run folder \(out)")
        }
    }
    return 0
}
