import Foundation
import Testing
import TestSupport
@testable import Comm
@testable import Support
@testable import Trainer

/// The stall watchdog: its classification of peers (pure) and the whole path under mpirun.
extension ReliabilityTests {
    /// Rank 0 waited in collective #9 (an allreduce); the hand-worked classification of each peer kind.
    @Test func watchdogClassifiesPeers() {
        typealias P = Watchdog.PeerState
        let peers = [P(rank: 1, entered: 8, blockedIn: nil), P(rank: 2, entered: 9, blockedIn: .allreduce),
                     P(rank: 3, entered: 7, blockedIn: .barrier), P(rank: 4, entered: 9, blockedIn: .broadcast)]
        // Rank 5 never answered.
        let r = Watchdog.diagnose(rank: 0, size: 6, collective: 9, operation: .allreduce, waited: 12.34, peers: peers)
        #expect(r.late == [1, 3])
        #expect(r.mismatched == [4])
        #expect(r.silent == [5])
        #expect(r.reporter, "rank 0 is the lowest waiting rank and must report")
        #expect(r.message.hasPrefix("stall watchdog: waited 12.3 s in MPI_Allreduce (collective #9) for rank(s) 1, 3, 4, 5: "))
        #expect(r.message.contains("rank 1 has not reached it (it is at collective #8, outside any collective"))
        #expect(r.message.contains("rank 3 has not reached it (it is at collective #7, waiting in MPI_Barrier)"))
        #expect(r.message.contains("rank 4 is in MPI_Bcast instead"))
        #expect(r.message.contains("rank 5 did not answer"))
        #expect(r.message.contains("(fix: "))
        #expect(!r.message.contains("\n"))
        // Rank 2 waits in the same collective: rank 0 reports, rank 2 does not.
        let fromTwo = Watchdog.diagnose(rank: 2, size: 3, collective: 9, operation: .allreduce, waited: 5,
                                        peers: [P(rank: 0, entered: 9, blockedIn: .allreduce), P(rank: 1, entered: 8, blockedIn: nil)])
        #expect(!fromTwo.reporter)
        #expect(fromTwo.late == [1])
    }

    /// The timeout comes from DDTRAIN_WATCHDOG_S when set, else from the config; a bad value names the variable.
    @Test func watchdogTimeoutSource() throws {
        // The variable's value is passed in: setting it in this process would leak into jobs other suites start.
        #expect(try Watchdog.requestedTimeout(configured: 7, environment: nil) == 7)
        #expect(try Watchdog.requestedTimeout(configured: 7, environment: "") == 7)
        #expect(try Watchdog.requestedTimeout(configured: 7, environment: "2.5") == 2.5)
        #expect(try Watchdog.requestedTimeout(configured: 7, environment: "0") == 0)
        #expect(throws: DDError.self) { try Watchdog.requestedTimeout(configured: 7, environment: "-3") }
        #expect(throws: DDError.self) { try Watchdog.requestedTimeout(configured: 7, environment: "soon") }
    }

    /// Rank 1 stalls (sleeps outside every collective) at step 2 with a 4 s watchdog (margin for a loaded machine): the job ends well before the
    /// stall would, with one line from rank 0 naming rank 1 as the late rank. Then the same run with the watchdog
    /// on and no stall completes with the loss trace of a run without the watchdog (it changes nothing).
    @Test func stalledRankIsNamedAndTheJobEnds() throws {
        let work = MPIRunner.temporaryDirectory("rel-watchdog")
        let config = try ReliabilityFixture.writeConfig(in: work)
        for (label, sets, env) in [("config key", ["train.watchdog_s=4"], [String: String]()), ("environment", [], ["DDTRAIN_WATCHDOG_S": "4"])] {
            var environment = env
            environment["DDTRAIN_FAULT_STALL_RANK"] = "1"
            environment["DDTRAIN_FAULT_STALL_STEP"] = "2"
            environment["DDTRAIN_FAULT_STALL_SECONDS"] = "60"
            let run = work + "/stall-\(label.count)"
            let res = try MPIRunner.mpirun(2, ["train", "--config", config, "--out", run] + sets.flatMap { ["--set", $0] },
                                           environment: environment, timeout: 50)
            #expect(res.status != 0, "\(label): the stalled job exited 0")
            #expect(!res.timedOut && !res.stderr.contains("time limit"), "\(label): the watchdog did not end the job: \(res.stderr)")
            let lines = res.stderr.split(separator: "\n").filter { $0.contains("stall watchdog") }
            #expect(lines.count == 1, "\(label): expected one watchdog line: \(res.stderr)")
            #expect(lines.first?.hasPrefix("ddtrain: rank 0: stall watchdog: waited ") == true)
            #expect(lines.first?.contains("for rank(s) 1: rank 1 has not reached it") == true, "\(res.stderr)")
            #expect(ReliabilityFixture.survivors(run).isEmpty)
        }
        func losses(_ run: String) throws -> [Double] {
            try MetricsLog.read(run + "/metrics.jsonl").filter { $0["type"]?.stringValue == "train" }.map { $0["loss"]!.doubleValue! }
        }
        let plain = try MPIRunner.mpirun(2, ["train", "--config", config, "--out", work + "/plain"], timeout: 120)
        try #require(plain.status == 0, "\(plain.stderr)")
        let watched = try MPIRunner.mpirun(2, ["train", "--config", config, "--out", work + "/watched", "--set", "train.watchdog_s=30"], timeout: 120)
        try #require(watched.status == 0, "\(watched.stderr)")
        let a = try losses(work + "/plain"), b = try losses(work + "/watched")
        #expect(a.count >= 4)
        #expect(a == b, "the watchdog changed the loss trace")
    }
}
