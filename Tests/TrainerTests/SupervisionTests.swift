#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import Support
@testable import Trainer

/// The supervisor's reading of an attempt's end and its host bookkeeping, against stderr recorded from Open MPI
/// 4.1 and ddtrain (the texts below are copies of real output, cut to the lines that matter).
@Suite struct SupervisionTests {
    static let killedRank = """
    step 5/30  loss 5.5355  lr 7.50e-04  106116 tok/s  ETA 0m01s
    --------------------------------------------------------------------------
    Primary job  terminated normally, but 1 process returned
    a non-zero exit code. Per user-direction, the job has been aborted.
    --------------------------------------------------------------------------
    mpirun noticed that process rank 1 with PID 0 on node vm exited on signal 9 (Killed).
    --------------------------------------------------------------------------
    """
    static let lostDaemon = """
    ORTE has lost communication with a remote daemon.

      HNP daemon   : [[29395,0],0] on node vm
      Remote daemon: [[29395,0],1] on node 10.231.77.2

    This is usually due to either a failure of the TCP network
    """
    static let unreachableHost = """
    ssh: connect to host 10.231.77.2 port 22: No route to host
    --------------------------------------------------------------------------
    ORTE was unable to reliably start one or more daemons.
    """
    static let diedUnderTheJob = """
    ORTE was unable to reliably start one or more daemons.
    This usually is caused by:
    --------------------------------------------------------------------------
    WARNING: Open MPI failed to TCP connect to a peer MPI process.  This
    should not happen.

      Local host: vm
      PID:        16018
      Message:    connect() to 10.231.78.2:1025 failed
      Error:      Operation now in progress (115)
    """
    static let nonZeroExit = """
    mpirun detected that one or more processes exited with non-zero status, thus causing
    the job to be terminated. The first process to do so was:

      Process name: [[23822,1],1]
      Exit code:    3
    """
    static let stall = "ddtrain: rank 0: stall watchdog: waited 4.1 s in MPI_Allreduce (collective #9) for rank(s) 1: rank 1 has not reached it "
        + "(it is at collective #8, outside any collective (computing or stuck)) (fix: see the named rank's output)"
    static let nonFinite = "ddtrain: rank 0: step 3: the loss is nan (not finite); the run stops here (fix: lower optim.lr or enable optim.clip, then --resume)"
    static let timeLimit = "The user-provided time limit for job execution has been reached:\n\n  Timeout: 2 seconds\n"

    @Test func failuresARestartCanGetPastAreRetried() {
        let killed = JobOutcome.classify(exitCode: 137, stderr: Self.killedRank)
        #expect(killed.kind == .rankLost && killed.ranks == [1] && killed.hosts == ["vm"] && killed.retryable)
        #expect(killed.cause == "rank 1 (node vm) ended by signal 9 (SIGKILL)")
        let lost = JobOutcome.classify(exitCode: 205, stderr: Self.lostDaemon)
        #expect(lost.kind == .hostLost && lost.hosts == ["10.231.77.2"] && lost.retryable)
        let unreachable = JobOutcome.classify(exitCode: 255, stderr: Self.unreachableHost)
        #expect(unreachable.kind == .hostLost && unreachable.hosts == ["10.231.77.2"] && unreachable.cause == "could not start on host 10.231.77.2")
        let died = JobOutcome.classify(exitCode: 9, stderr: Self.diedUnderTheJob)
        #expect(died.kind == .hostLost && died.hosts == ["10.231.78.2"], "\(died)")
        #expect(JobOutcome.classify(exitCode: 9, stderr: "ORTE was unable to reliably start one or more daemons.\n").cause == "could not start on a host")
        let stall = JobOutcome.classify(exitCode: 3, stderr: Self.stall)
        #expect(stall.kind == .stall && stall.ranks == [1] && stall.retryable)
        let exited = JobOutcome.classify(exitCode: 3, stderr: Self.nonZeroExit)
        #expect(exited.kind == .rankLost && exited.ranks == [1] && exited.cause == "rank 1 exited with code 3")
        #expect(JobOutcome.classify(exitCode: 137, stderr: "").kind == .unknown)
        #expect(JobOutcome.classify(exitCode: 137, stderr: "").retryable)
    }

    @Test func failuresThatWouldRecurAreNotRetried() {
        let error = JobOutcome.classify(exitCode: 1, stderr: Self.nonFinite)
        #expect(error.kind == .error && !error.retryable && error.cause.hasPrefix("rank 0: step 3: the loss is nan"))
        #expect(JobOutcome.classify(exitCode: 2, stderr: "launch/run: unknown option --x (see launch/run --help)\n").kind == .error)
        #expect(JobOutcome.classify(exitCode: 110, stderr: Self.timeLimit).kind == .timeLimit)
        #expect(!JobOutcome.classify(exitCode: 110, stderr: Self.timeLimit).retryable)
        #expect(JobOutcome.classify(exitCode: 137, stderr: Self.killedRank, interrupted: true).kind == .interrupted)
        #expect(JobOutcome.classify(exitCode: 0, stderr: Self.killedRank).kind == .succeeded)
    }

    @Test func hostfilesParseWithSlotsAndComments() throws {
        let pool = try HostPool(hostfile: "# cluster\nnode-a slots=2\n\nnode-b slots=3 max_slots=4  # big one\nnode-c\n", path: "h")
        #expect(pool.hosts == [.init(name: "node-a", slots: 2), .init(name: "node-b", slots: 3), .init(name: "node-c", slots: 1)])
        #expect(pool.slots == 6)
        #expect((0..<7).map { pool.host(ofRank: $0) } == ["node-a", "node-a", "node-b", "node-b", "node-b", "node-c", nil])
        #expect(throws: DDError.self) { try HostPool(hostfile: "# none\n", path: "h") }
        let bad = try #require(throws: DDError.self) { try HostPool(hostfile: "a slots=0\n", path: "hosts.txt") }
        #expect(bad.message.contains("hosts.txt: line 1") && bad.message.contains("(fix: "))
    }

    @Test func aHostThatFailsTwiceInARowIsLeftOut() throws {
        var pool = try HostPool(hostfile: "a slots=2\nb slots=2\n", path: "h")
        // Rank 3 lies on b; a failure elsewhere in between resets b's run of failures.
        let onB = JobOutcome.classify(exitCode: 137, stderr: Self.killedRank.replacing("rank 1 with", with: "rank 3 with"))
        #expect(pool.hosts(of: onB) == ["b"])
        #expect(pool.record(failed: ["b"]).isEmpty)
        #expect(pool.record(failed: ["a"]).isEmpty)
        #expect(pool.record(failed: ["b"]).isEmpty)
        #expect(pool.record(failed: ["b"]) == ["b"])
        #expect(pool.active.map(\.name) == ["a"] && pool.slots == 2 && pool.hostfile == "a slots=2\n")
        // A named host of the pool wins over the rank mapping.
        let named = JobOutcome(kind: .hostLost, cause: "", ranks: [0], hosts: ["a", "elsewhere"])
        #expect(pool.hosts(of: named) == ["a"])
    }

    @Test func runProgressReadsStepsAndTheNewestCheckpoint() throws {
        let dir = "/tmp/ddtrain-progress-\(getpid())"
        try FileIO.makeDirectories(dir + "/checkpoints")
        defer { for f in ["metrics.jsonl", "checkpoints/checkpoint-00000004.ddt", "checkpoints/checkpoint-00000006.ddt"] { unlink(dir + "/" + f) } }
        #expect(RunProgress.read(runDirectory: dir) == RunProgress(stepsDone: 0, checkpointStep: nil))
        // A last line cut short by a killed rank is skipped.
        try AtomicFile.write("{\"type\":\"train\",\"step\":6}\n{\"type\":\"eval\",\"step\":7}\n{\"type\":\"train\",\"step\":7}\n{\"type\":\"tr", to: dir + "/metrics.jsonl")
        try AtomicFile.write("x", to: dir + "/checkpoints/checkpoint-00000004.ddt")
        try AtomicFile.write("x", to: dir + "/checkpoints/checkpoint-00000006.ddt")
        let p = RunProgress.read(runDirectory: dir)
        #expect(p == RunProgress(stepsDone: 8, checkpointStep: 6) && p.stepsLost == 2)
    }
}
