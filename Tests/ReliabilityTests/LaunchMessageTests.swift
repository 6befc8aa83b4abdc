import Foundation
import Testing
import TestSupport
@testable import Support

/// What a person reads when a job under `launch/run` fails: one `ddtrain:` line, from the lowest failing rank,
/// and one closing line instead of Open MPI's abort boilerplate.
@Suite(.serialized) struct LaunchMessageTests {
    func launch(_ args: [String]) throws -> ProcessResult {
        try ProcessRunner.run([MPIRunner.packageRoot + "/launch/run", "-n", "2", "--timeout", "60", MPIRunner.binary] + args,
                              environment: MPIRunner.baseEnvironment, timeout: 80)
    }

    func check(_ res: ProcessResult, rank: Int, contains text: String) {
        let lines = res.stderr.split(separator: "\n").map(String.init)
        let errors = lines.filter { $0.hasPrefix("ddtrain:") }
        #expect(res.status != 0)
        #expect(errors.count == 1, "expected one ddtrain line, got: \(res.stderr)")
        #expect(errors.first?.hasPrefix("ddtrain: rank \(rank): ") == true && errors.first?.contains(text) == true, "\(res.stderr)")
        #expect(lines.last == "launch/run: job ended: rank \(rank) failed; exit code \(res.status)", "\(res.stderr)")
        for noise in ["-----", "MPI_ABORT", "ORTE", "mpirun", "Primary job", "[["] {
            #expect(!res.stderr.contains(noise), "Open MPI boilerplate (\(noise)) reached the console: \(res.stderr)")
        }
    }

    /// The same bad config on every rank, before MPI starts: rank 0's line only.
    @Test func aConfigErrorOnEveryRankIsPrintedOnce() throws {
        let dir = MPIRunner.temporaryDirectory("launch-msg")
        try "{\"optim\": {\"learning_rate\": 1}}".write(toFile: dir + "/c.json", atomically: true, encoding: .utf8)
        check(try launch(["train", "--config", dir + "/c.json", "--out", dir + "/run"]), rank: 0, contains: "did you mean 'lr'?")
    }

    /// An error on rank 1 while rank 0 waits in a collective: rank 1's line, not rank 0's.
    @Test func anErrorOnOneRankNamesThatRank() throws {
        check(try launch(["selftest", "fail", "--rank", "1"]), rank: 1, contains: "injected failure on rank 1")
    }
}
