import Foundation
import Testing
import TestSupport
@testable import Support
@testable import Trainer

extension ReliabilityTests {
    /// A rank killed by SIGKILL (fault injection) at each of several steps: the job ends with a non-zero exit
    /// and a message naming the lost rank, no rank survives, no temporary checkpoint is left, and the newest
    /// checkpoint verifies (ResumeAndFailureTests checks that --resume then reproduces the loss trace).
    @Test func killedRankIsNamedAndLeavesAVerifiedCheckpoint() throws {
        let work = MPIRunner.temporaryDirectory("rel-killed")
        let config = try ReliabilityFixture.writeConfig(in: work)
        for (rank, step) in [(1, 3), (0, 5)] {
            let run = work + "/run-\(rank)-\(step)"
            let res = try MPIRunner.mpirun(2, ["train", "--config", config, "--out", run, "--set", "train.checkpoint_every=1"],
                                           environment: ["DDTRAIN_FAULT_KILL_RANK": String(rank), "DDTRAIN_FAULT_KILL_STEP": String(step)],
                                           timeout: 30)
            #expect(res.status != 0)
            #expect(!res.timedOut && !res.stderr.contains("time limit"), "the job outlived its killed rank: \(res.stderr)")
            #expect(res.stderr.contains("process rank \(rank) ") && res.stderr.contains("signal 9"), "the lost rank is not named: \(res.stderr)")
            #expect(ReliabilityFixture.survivors(run).isEmpty)
            #expect(!ReliabilityFixture.partialOutputs(in: run).contains { $0.contains(".tmp-") })
            let (path, ckpt) = try #require(try CheckpointStore(runDirectory: run, keep: 3).loadLatest())
            #expect(ckpt.header["next_step"]?.intValue == step, "\(path)")
        }
    }
}
