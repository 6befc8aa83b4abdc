import Support
import Trainer

/// `ddtrain supervise`: the restart loop behind `launch/run --restarts N` (and launch/slurm.sbatch).
let superviseCommand = Command(
    name: "supervise", summary: "run a training job through launch/run and restart it with --resume when it fails",
    help: """
    usage: ddtrain supervise --launcher launch/run --restarts N [--min-ranks M] [--ranks R] [--hostfile FILE]
                             [--timeout S] [--threads T] [--oversubscribe] -- DDTRAIN train ARGS...

    Normally started by `launch/run --restarts N ...`. Runs the job through the launcher; when it ends non-zero
    because a rank or a host was lost or the stall watchdog stopped it, starts it again with --resume (afresh
    while there is no checkpoint), up to N times. A ddtrain error (bad input, a non-finite loss), mpirun's
    --timeout and an interruption are not retried. With --hostfile, a host whose ranks failed in two attempts in
    a row is left out and the job continues on the remaining slots; below --min-ranks it stops. Each attempt's
    end (cause, steps done, checkpoint step, steps lost, ranks) is appended to RUNDIR/restarts.jsonl.
      --launcher PATH   the launcher run per attempt (launch/run)
      --restarts N      restarts allowed after the first attempt
      --min-ranks M     fewest ranks the job may continue on (default 1)
      --ranks R         ranks of the first attempt (default 2)
      --hostfile FILE   Open MPI hostfile (HOST slots=N per line)
      --timeout S       passed on to the launcher: each attempt's time limit
      --threads T       passed on to the launcher: threads per rank (train.threads, OpenBLAS)
      --oversubscribe   passed on to the launcher: run a layout larger than the machine's cores, unbound
    """,
    options: ["launcher": true, "restarts": true, "min-ranks": true, "ranks": true, "hostfile": true, "timeout": true, "threads": true,
              "oversubscribe": false]
) { args in
    let usage = "ddtrain supervise"
    let job = args.positionals
    guard job.count >= 2, job[1] == "train" else {
        throw DDError.usage("\(usage): the job must be a 'ddtrain train' command, got '\(job.joined(separator: " "))' (fix: use --restarts with 'ddtrain train ...' only; other commands are not resumable)")
    }
    let trainArgs = try Arguments(Array(job.dropFirst(2)), options: trainCommand.options!, command: "train")
    let restarts = try args.int("restarts", default: 0, command: "supervise")
    let minRanks = try args.int("min-ranks", default: 1, command: "supervise")
    let ranks = try args.int("ranks", default: 2, command: "supervise")
    guard restarts >= 0, minRanks >= 1, ranks >= 1 else {
        throw DDError.usage("\(usage): --restarts must be ≥ 0, --min-ranks and --ranks ≥ 1 (fix: pass counts in range)")
    }
    guard minRanks <= ranks else {
        throw DDError.usage("\(usage): --min-ranks \(minRanks) is above the job's \(ranks) rank(s) (fix: lower --min-ranks)")
    }
    let hostfile = args.value("hostfile")
    let pool = try hostfile.map { try HostPool(hostfile: try FileIO.readText($0), path: $0) }
    var options: [String] = []
    for name in ["timeout", "threads"] { if let v = args.value(name) { options += ["--\(name)", v] } }
    if args.flag("oversubscribe") { options.append("--oversubscribe") }
    var supervisor = Supervisor(
        launcher: try args.required("launcher", command: "supervise"), launcherOptions: options,
        job: job.filter { $0 != "--resume" }, runDirectory: runFolder(trainArgs, configPath: try trainArgs.required("config", command: "train")),
        requestedRanks: ranks, minRanks: minRanks, restarts: restarts, resumeFirst: trainArgs.flag("resume"),
        hostfile: hostfile, pool: pool)
    return try supervisor.run()
}
