import Support
import Trainer

/// The restart loop of `ddtrain supervise` (`launch/run --restarts N`): runs a training job through the
/// launcher, and when it ends non-zero with a failure a restart can get past (JobOutcome), starts it again with
/// `--resume` (afresh while no checkpoint exists), up to `restarts` times. With a hostfile, a host whose ranks
/// failed in two attempts in a row is left out and the job continues on the remaining slots, down to `minRanks`.
/// Every attempt's end is appended to RUN/restarts.jsonl and told in one line on stderr.
struct Supervisor {
    /// launch/run, called once per attempt.
    let launcher: String
    /// Launcher options passed to every attempt (`--timeout S`, `--threads T`, `--oversubscribe`).
    let launcherOptions: [String]
    /// The job: `BINARY train ARGS` (without `--resume`).
    let job: [String]
    let runDirectory: String
    let requestedRanks: Int
    let minRanks: Int
    let restarts: Int
    /// Whether the first attempt resumes (the job was given `--resume`).
    let resumeFirst: Bool
    /// The hostfile's path and its hosts; nil on one machine.
    let hostfile: String?
    var pool: HostPool?

    /// Runs attempts until one succeeds or a restart is not possible; returns the exit code.
    mutating func run() throws -> Int32 {
        AttemptProcess.installSignalHandlers()
        var ranks = pool.map { min(requestedRanks, $0.slots) } ?? requestedRanks
        var resume = resumeFirst
        var hostfile = self.hostfile
        for attempt in 1... {
            var argv = [launcher, "-n", String(ranks)] + launcherOptions
            if let hostfile { argv += ["--hostfile", hostfile] }
            argv += ["--"] + job + (resume ? ["--resume"] : [])
            let started = unixSeconds()
            let (status, stderr) = try AttemptProcess.run(argv)
            let outcome = JobOutcome.classify(exitCode: status, stderr: stderr, interrupted: AttemptProcess.interrupted != 0)
            let progress = RunProgress.read(runDirectory: runDirectory)
            let hosts = pool?.active.map(\.name)
            var leftOut: [String] = []
            if var p = pool {
                leftOut = p.record(failed: p.hosts(of: outcome))
                pool = p
            }
            let nextRanks = pool.map { min(requestedRanks, $0.slots) } ?? ranks
            let stop = stopReason(outcome, attempt: attempt, nextRanks: nextRanks)
            try log(JSON.obj([
                "attempt": .int(attempt), "ranks": .int(ranks), "hosts": hosts.map { .array($0.map { .string($0) }) } ?? .null,
                "resumed": .bool(resume), "started_at": .number(started), "ended_at": .number(unixSeconds()),
                "exit_code": .int(Int(status)), "outcome": .string(outcome.kind.rawValue), "cause": .string(outcome.cause),
                "steps_done": .int(progress.stepsDone), "checkpoint_step": progress.checkpointStep.map { .int($0) } ?? .null,
                "steps_lost": .int(outcome.kind == .succeeded ? 0 : progress.stepsLost), "left_out": .array(leftOut.map { .string($0) }),
                "action": .string(outcome.kind == .succeeded ? "done" : stop == nil ? "restart" : "stop"),
                "next_ranks": stop == nil && outcome.kind != .succeeded ? .int(nextRanks) : .null,
            ]))
            if outcome.kind == .succeeded { return 0 }
            let ended = "ddtrain supervise: attempt \(attempt) on \(ranks) rank(s) ended: \(outcome.cause) after \(progress.stepsDone) step(s)"
            if let stop {
                FileHandleStderr.write("\(ended); not restarting: \(stop)\n")
                return status
            }
            let from = progress.checkpointStep.map { "from the checkpoint at step \($0) (\(progress.stepsLost) step(s) to train again)" } ?? "afresh (no checkpoint yet)"
            let without = leftOut.isEmpty ? "" : "; host(s) \(leftOut.joined(separator: ", ")) left out after failing twice in a row"
            FileHandleStderr.write("\(ended); restart \(attempt) of \(restarts) \(from) on \(nextRanks) rank(s)\(without)\n")
            if !leftOut.isEmpty, let pool {
                hostfile = runDirectory + "/hostfile.active"
                try AtomicFile.write(pool.hostfile, to: hostfile!)
            }
            ranks = nextRanks
            resume = progress.checkpointStep != nil
        }
        fatalError("unreachable")
    }

    /// Why the job is not started again (nil when it is), with the fix.
    func stopReason(_ outcome: JobOutcome, attempt: Int, nextRanks: Int) -> String? {
        switch outcome.kind {
        case .succeeded: return nil
        case .interrupted: return "interrupted"
        case .timeLimit: return "the job's --timeout is spent (fix: raise --timeout, then run again with --resume)"
        case .error: return "the job's own error would recur (fix: as its message says, then run again with --resume)"
        default: break
        }
        if attempt > restarts {
            return "all \(restarts) restart(s) used (fix: see the causes in \(runDirectory)/restarts.jsonl, then run again with --resume)"
        }
        if nextRanks < minRanks {
            let out = pool?.excluded.joined(separator: ", ") ?? ""
            return "only \(nextRanks) rank(s) left on the hosts still in (left out: \(out)), below --min-ranks \(minRanks) "
                + "(fix: repair or replace the lost host(s), or lower --min-ranks, then run again with --resume)"
        }
        return nil
    }

    /// Appends one record to RUN/restarts.jsonl.
    func log(_ record: JSON) throws {
        try FileIO.makeDirectories(runDirectory)
        try MetricsLog(path: runDirectory + "/restarts.jsonl").write(record)
    }
}
