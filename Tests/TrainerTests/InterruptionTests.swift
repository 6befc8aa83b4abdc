import Foundation
import Testing
import TestSupport
import TrainerFixtures
@testable import Support
@testable import Trainer

/// Graceful interruption through `launch/run` (mpirun, 2 ranks): a signal mid-run finishes the step, writes a
/// verified checkpoint and exits 130/143 with one line; `--resume` then reproduces the uninterrupted loss trace.
@Suite(.serialized) struct InterruptionTests {
    func trainLosses(_ run: String) throws -> [(Int, Double)] {
        try MetricsLog.read(run + "/metrics.jsonl").filter { $0["type"]?.stringValue == "train" }
            .map { ($0["step"]!.intValue!, $0["loss"]!.doubleValue!) }
    }

    /// The newest training step recorded so far (-1 before the first).
    func lastStep(_ run: String) -> Int {
        guard let text = try? String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8) else { return -1 }
        return text.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
            .filter { $0["type"]?.stringValue == "train" }.compactMap { $0["step"]?.intValue }.max() ?? -1
    }

    /// `launch/run -n 2 ddtrain ARGS`, sending `signal` to launch/run once the run has logged step `afterStep`.
    func launch(_ args: [String], run: String, signal: Int32?, afterStep: Int = 4) throws -> ProcessResult {
        var sent = false
        return try ProcessRunner.run([MPIRunner.packageRoot + "/launch/run", "-n", "2", "--timeout", "150", MPIRunner.binary] + args,
                                     environment: MPIRunner.baseEnvironment, timeout: 170) { pid, _ in
            guard let signal, !sent, lastStep(run) >= afterStep else { return }
            kill(pid, signal)
            sent = true
        }
    }

    @Test(arguments: [(SIGTERM, Int32(143)), (SIGINT, Int32(130))])
    func signalMidRunCheckpointsAndResumesExactly(signal: Int32, code: Int32) throws {
        let config = TrainerFixture.config("interrupt", curriculum: [("total_tokens", .int(65536))],
                                           train: [("checkpoint_every", .int(16))])
        let whole = MPIRunner.temporaryDirectory("run-whole") + "/run"
        let full = try launch(["train", "--config", config, "--out", whole], run: whole, signal: nil)
        try #require(full.status == 0, "\(full.stderr)")
        let reference = try trainLosses(whole)
        #expect(reference.count >= 40)
        // The console names each step's cycle, layout and length, and prints the final evaluation.
        #expect(full.stderr.contains("step 1/\(reference.count)  cycle 1/2 bucket-0"), "\(full.stderr)")
        #expect(full.stderr.contains("eval at step \(reference.count): held-out loss "), "\(full.stderr)")

        let run = MPIRunner.temporaryDirectory("run-interrupted") + "/run"
        let stopped = try launch(["train", "--config", config, "--out", run], run: run, signal: signal)
        #expect(stopped.status == code, "\(stopped.stderr)")
        let lines = stopped.stderr.split(separator: "\n").map(String.init)
        let said = try #require(lines.first { $0.hasPrefix("ddtrain: interrupted at step ") }, "\(stopped.stderr)")
        let step = Int(said.dropFirst("ddtrain: interrupted at step ".count).prefix { $0.isNumber })!
        #expect(step > 4 && step < reference.count, "\(said)")
        let checkpoints = CheckpointStore(runDirectory: run, keep: 3)
        #expect(try checkpoints.list().first == checkpoints.path(forStep: step), "the newest checkpoint is not the interruption's")
        #expect(said.contains(checkpoints.path(forStep: step)) && said.hasSuffix("continue with --resume"))
        #expect(try trainLosses(run).map(\.0) == Array(0..<step), "the interrupted run did not finish its last step")
        #expect(!stopped.stderr.contains("Primary job") && !stopped.stderr.contains("-----"), "\(stopped.stderr)")
        #expect(lines.last == "launch/run: job ended after \(signal == SIGTERM ? "SIGTERM" : "SIGINT"); exit code \(code)", "\(stopped.stderr)")

        let resumed = try launch(["train", "--config", config, "--out", run, "--resume"], run: run, signal: nil)
        try #require(resumed.status == 0, "\(resumed.stderr)")
        let trace = try trainLosses(run)
        #expect(trace.map(\.0) == reference.map(\.0))
        #expect(trace.map(\.1) == reference.map(\.1), "the resumed loss trace differs from the uninterrupted run")
    }

    @Test func signalsMapToShellExitCodes() {
        #expect(Interruption.code(forSignal: SIGINT) == 130 && Interruption.code(forSignal: SIGUSR2) == 130)
        #expect(Interruption.code(forSignal: SIGTERM) == 143 && Interruption.code(forSignal: SIGUSR1) == 143)
        #expect(Interruption.agreed(interruptVotes: 1, terminateVotes: 1) == 143)
        #expect(Interruption.agreed(interruptVotes: 2, terminateVotes: 0) == 130)
        #expect(Interruption.agreed(interruptVotes: 0, terminateVotes: 0) == 0)
    }
}
