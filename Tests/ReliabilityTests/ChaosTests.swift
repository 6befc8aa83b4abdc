import Foundation
import Testing
import TestSupport
@testable import Support
@testable import Trainer

extension ReliabilityTests {
    /// Where a chaos kill lands: anywhere in a step, or while rank 0 writes a checkpoint.
    enum KillMoment: String { case step, checkpoint }

    /// The trace a run must reproduce: (step, loss, gradient norm) of every training record, in order.
    static func trace(_ run: String) throws -> [[Double]] {
        try MetricsLog.read(run + "/metrics.jsonl").filter { $0["type"]?.stringValue == "train" }
            .map { [Double($0["step"]!.intValue!), $0["loss"]!.doubleValue!, $0["grad_norm"]!.doubleValue!] }
    }

    /// The final checkpoint's parameters and AdamW moments.
    static func finalState(_ run: String, step: Int) throws -> [String: [Float]] {
        try CheckpointFile.read(path: CheckpointStore(runDirectory: run, keep: 1).path(forStep: step)).sections
    }

    /// A 2-rank run under `launch/run --restarts 10` loses a random rank (SIGKILL, from outside) at 5 random
    /// moments after its first checkpoint, 2 of them while rank 0 is writing a checkpoint (the writer pauses 300 ms inside, by fault
    /// injection, to leave room for the kill). The run finishes, and its loss and gradient-norm trace of every
    /// step and its final parameters and AdamW moments are bit-identical to an uninterrupted run's. The driver's
    /// figures (steps lost per restart, seconds from a death to the job's end and to the next trained step) are
    /// printed; `DDTRAIN_CHAOS_SEED=S` replays a sequence of moments.
    @Test func randomKillsLeaveTheFinalStateBitIdentical() throws {
        let work = MPIRunner.temporaryDirectory("rel-chaos")
        let config = try ReliabilityFixture.writeConfig(in: work)
        let train = [MPIRunner.binary, "train", "--config", config, "--set", "curriculum.total_tokens=8192",
                     "--set", "train.checkpoint_every=2"]
        let launch = MPIRunner.packageRoot + "/launch/run"
        let reference = try ProcessRunner.run([launch, "-n", "2", "--timeout", "60"] + train + ["--out", work + "/reference"],
                                              environment: MPIRunner.baseEnvironment, timeout: 90)
        try #require(reference.status == 0, "the uninterrupted run failed: \(reference.stderr)")
        // The fixture's data holds 30 steps of 256 tokens (the plan stops where a bucket runs dry).
        let steps = try Self.trace(work + "/reference").count
        try #require(steps >= 20)

        let seed = ProcessInfo.processInfo.environment["DDTRAIN_CHAOS_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0..<1 << 32)
        var rng = Xoshiro256(seed: seed)
        var moments: [KillMoment] = [.checkpoint, .checkpoint, .step, .step, .step]
        for i in stride(from: moments.count - 1, to: 0, by: -1) { moments.swapAt(i, rng.nextInt(below: i + 1)) }
        let run = work + "/chaos"
        var environment = MPIRunner.baseEnvironment
        environment["DDTRAIN_FAULT_CHECKPOINT_PAUSE_MS"] = "300"
        let job = try ProcessRunner.start([launch, "-n", "2", "--restarts", "10", "--timeout", "60"] + train + ["--out", run],
                                          environment: environment)
        let driver = ChaosDriver(run: run, deadline: Date().addingTimeInterval(150))
        let running = { !driver.attempts().contains { $0["action"]?.stringValue != "restart" } }
        var killed: [(moment: KillMoment, rank: Int, writing: Bool, at: Date)] = []
        var deathToStep: [Double] = []
        var staleMetrics: UInt64? = nil
        do {
            for attempt in 0...moments.count {
                // This attempt's first trained step: metrics.jsonl rewritten since the last kill and holding its resume step.
                if attempt > 0 { _ = try driver.wait(for: "restart \(attempt) in the log", alive: running) { driver.attempts().count >= attempt ? true : nil } }
                let resumeStep = attempt > 0 ? driver.attempts()[attempt - 1]["checkpoint_step"]?.intValue ?? 0 : 0
                _ = try driver.wait(for: "attempt \(attempt + 1)'s first step", alive: running) {
                    driver.metricsInode() != staleMetrics && driver.trainedSteps().contains { $0 >= resumeStep } ? true : nil
                }
                if let last = killed.last { deathToStep.append(Date().timeIntervalSince(last.at)) }
                guard attempt < moments.count else { break }
                // Every kill comes after the run's first checkpoint, so every restart resumes.
                _ = try driver.wait(for: "a first checkpoint", alive: running) { driver.hasCheckpoint() ? true : nil }
                var writing = false
                switch moments[attempt] {
                case .step:
                    let target = (driver.trainedSteps().last ?? resumeStep) + rng.nextInt(below: 4)
                    _ = try driver.wait(for: "step \(target)", alive: running) { (driver.trainedSteps().last ?? -1) >= target ? true : nil }
                    usleep(UInt32(rng.nextInt(below: 100_000)))
                case .checkpoint:
                    while !writing {
                        let writer = try driver.wait(for: "a checkpoint being written", alive: running) { () -> pid_t? in
                            guard let w = driver.ranks().first(where: { $0.value == 0 })?.key else { return nil }
                            return driver.checkpointBeingWritten(by: w) == nil ? nil : w
                        }
                        usleep(UInt32(rng.nextInt(below: 150_000)))
                        writing = driver.checkpointBeingWritten(by: writer) != nil
                    }
                }
                let ranks = try driver.wait(for: "two live ranks", alive: running) { () -> [pid_t: Int]? in
                    let r = driver.ranks()
                    return r.count == 2 ? r : nil
                }
                let victim = rng.nextInt(below: 2)
                staleMetrics = driver.metricsInode()
                kill(ranks.first { $0.value == victim }!.key, SIGKILL)
                killed.append((moments[attempt], victim, writing, Date()))
            }
        } catch {
            job.killGroup()
            let res = job.wait(timeout: 10)
            Issue.record("seed \(seed): \(error); the job's stderr: \(res.stderr.suffix(3000))")
            return
        }
        let res = job.wait(timeout: max(10, driver.deadline.timeIntervalSinceNow))
        try #require(res.status == 0 && !res.timedOut, "seed \(seed): the supervised run did not finish: \(res.stderr.suffix(3000))")
        #expect(ReliabilityFixture.survivors(run).isEmpty)

        let attempts = driver.attempts()
        #expect(attempts.count == 6 && attempts.last?["action"]?.stringValue == "done", "\(attempts)")
        for (record, kill) in zip(attempts, killed) {
            #expect(record["action"]?.stringValue == "restart" && record["outcome"]?.stringValue == "rank_lost", "\(record)")
            #expect(record["cause"]?.stringValue?.hasPrefix("rank \(kill.rank) ") == true, "\(record) after killing rank \(kill.rank)")
        }
        #expect(killed.filter { $0.moment == .checkpoint && $0.writing }.count == 2)
        // Every restart resumed from a checkpoint (a fresh start would give the same trace, and prove nothing).
        #expect(attempts.dropFirst().allSatisfy { $0["resumed"] == .bool(true) }, "\(attempts)")
        #expect(res.stderr.split(separator: "\n").filter { $0.hasPrefix("resumed from ") }.count == killed.count)
        #expect(try Self.trace(run) == Self.trace(work + "/reference"), "seed \(seed): the trace differs from the uninterrupted run")
        #expect(try Self.trace(run).count == steps)
        let state = try Self.finalState(run, step: steps), expected = try Self.finalState(work + "/reference", step: steps)
        for name in ["params", "adam_m", "adam_v"] {
            let a = try #require(state[name]), b = try #require(expected[name])
            #expect(a.map(\.bitPattern) == b.map(\.bitPattern), "seed \(seed): \(name) differs from the uninterrupted run's")
        }

        let lost = attempts.prefix(killed.count).map { $0["steps_lost"]?.intValue ?? -1 }
        let detection = zip(attempts, killed).map { ($0["ended_at"]?.doubleValue ?? 0) - $1.at.timeIntervalSince1970 }
        func list(_ xs: [Double]) -> String { xs.map { String(format: "%.2f", $0) }.joined(separator: ", ") }
        print("chaos figures (seed \(seed)): \(killed.count) kills (ranks \(killed.map(\.rank)); moments \(killed.map { $0.moment.rawValue + ($0.writing ? " (writing)" : "") })), "
              + "\(attempts.count - 1) restarts; steps lost per restart \(lost); death → job ended [\(list(detection))] s; "
              + "death → next trained step [\(list(deathToStep))] s (max \(String(format: "%.2f", deathToStep.max() ?? 0)))")
    }
}
