import Foundation
import Testing
import TestSupport
import TrainerFixtures
@testable import Support

/// launch/run's layout of ranks × threads: a layout larger than the machine is refused, `--threads T` becomes
/// train.threads on every rank (DDTRAIN_THREADS), and `ddtrain env` shows the cores each rank is bound to.
@Suite(.serialized) struct LaunchLayoutTests {
    /// This machine's cores as launch/run counts them (nproc: the CPUs this process may use).
    static func cores() throws -> Int {
        let r = try ProcessRunner.run(["nproc"], timeout: 10)
        return try #require(Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "nproc printed '\(r.stdout)'")
    }

    /// `launch/run ARGS` with the test environment (root allowed, one OpenBLAS thread by default).
    static func launch(_ args: [String], timeout: Double = 75) throws -> ProcessResult {
        try ProcessRunner.run([MPIRunner.packageRoot + "/launch/run"] + args, environment: MPIRunner.baseEnvironment, timeout: timeout)
    }

    @Test func aLayoutLargerThanTheMachineIsRefusedUnlessOversubscribed() throws {
        let cores = try Self.cores()
        let fix = "(fix: fewer ranks or threads, or pass --oversubscribe)\n"
        let ranks = try Self.launch(["-n", String(cores + 1), "--threads", "1", "true"])
        #expect(ranks.status == 2 && ranks.stdout.isEmpty)
        #expect(ranks.stderr == "launch/run: \(cores + 1) ranks × 1 thread(s) need \(cores + 1) cores, this host has \(cores) \(fix)")
        let threads = try Self.launch(["-n", "1", "--threads", String(cores + 1), "true"])
        #expect(threads.status == 2)
        #expect(threads.stderr == "launch/run: 1 ranks × \(cores + 1) thread(s) need \(cores + 1) cores, this host has \(cores) \(fix)")
        let restarts = try Self.launch(["-n", String(cores + 1), "--restarts", "1", MPIRunner.binary, "train", "--config", "x.json"])
        #expect(restarts.status == 2 && restarts.stderr.hasPrefix("launch/run: \(cores + 1) ranks × 1 thread(s)"), "\(restarts.stderr)")
        let forced = try Self.launch(["-n", String(cores + 1), "--oversubscribe", "--timeout", "60", "true"])
        #expect(forced.status == 0, "\(forced.stderr)")
        // --oversubscribe reaches each attempt of --restarts: the job starts, and fails on its missing config.
        let out = MPIRunner.temporaryDirectory("layout-restarts") + "/run"
        let supervised = try Self.launch(["-n", String(cores + 1), "--oversubscribe", "--restarts", "1", "--timeout", "60", MPIRunner.binary,
                                          "train", "--config", "/nonexistent/x.json", "--out", out])
        #expect(supervised.status != 0 && supervised.stderr.contains("config file not found")
                && !supervised.stderr.contains("cores, this host has"), "\(supervised.stderr)")
        let fits = try Self.launch(["-n", String(cores), "--timeout", "60", "true"])
        #expect(fits.status == 0, "\(fits.stderr)")
        for bad in [["-n", "0"], ["-n", "two"], ["--threads", "0"], ["--threads", "x"], ["--hostfile", "/nonexistent/hosts"]] {
            let r = try Self.launch(bad + ["true"])
            #expect(r.status == 2 && r.stderr.hasPrefix("launch/run: ") && r.stderr.split(separator: "\n").count == 1, "\(bad): \(r.stderr)")
        }
    }

    /// Two ranks bound by core: `ddtrain env --json` gathers each rank's affinity, one core each, different cores.
    /// One rank with --threads T (T = 2 where the machine has 2 cores): T cores, train.threads and OpenBLAS at T.
    @Test func envListsTheCoresEachRankIsBoundTo() throws {
        let cores = try Self.cores()
        guard cores >= 2 else { return }
        let r = try Self.launch(["-n", "2", "--timeout", "60", MPIRunner.binary, "env", "--json"])
        try #require(r.status == 0, "\(r.stderr)")
        let ranks = try #require(try JSONParser.parse(r.stdout)["ranks"]?.arrayValue)
        #expect(ranks.map { $0["rank"]?.intValue } == [0, 1])
        let bound = ranks.map { $0["cores"]?.arrayValue?.compactMap(\.intValue) ?? [] }
        #expect(bound.allSatisfy { $0.count == 1 } && Set(bound.joined()).count == 2, "\(bound)")
        #expect(ranks.allSatisfy { $0["host"]?.stringValue?.isEmpty == false && $0["train_threads"]?.intValue == 1 })

        let wide = try Self.launch(["-n", "1", "--threads", "2", "--timeout", "60", MPIRunner.binary, "env", "--json"])
        try #require(wide.status == 0, "\(wide.stderr)")
        let one = try #require(try JSONParser.parse(wide.stdout)["ranks"]?.arrayValue?.first)
        #expect(one["cores"]?.arrayValue?.count == 2 && one["train_threads"]?.intValue == 2 && one["openblas_threads"]?.intValue == 2, "\(one)")
        let text = try Self.launch(["-n", "2", "--timeout", "60", MPIRunner.binary, "env"])
        #expect(text.stdout.split(separator: "\n").filter { $0.hasPrefix("rank 0 ") || $0.hasPrefix("rank 1 ") }.count == 2, "\(text.stdout)")
    }

    /// `launch/run --threads T` sets train.threads to T over a config that names another value, with one
    /// warning line; the run folder's config.json and summary.json record T.
    @Test func launchThreadsBecomeTrainThreads() throws {
        let threads = min(2, try Self.cores())
        let config = TrainerFixture.config("layout-threads", train: [("max_steps", .int(2)), ("threads", .int(3))])
        let run = MPIRunner.temporaryDirectory("layout-threads") + "/run"
        let r = try Self.launch(["-n", "1", "--threads", String(threads), "--timeout", "120", MPIRunner.binary, "train",
                                 "--config", config, "--out", run, "--json"], timeout: 135)
        try #require(r.status == 0, "\(r.stderr)")
        #expect(try JSONParser.parse(r.stdout)["threads"]?.intValue == threads)
        let saved = try JSONParser.parse(try String(contentsOfFile: run + "/config.json", encoding: .utf8))
        #expect(saved["train"]?["threads"]?.intValue == threads)
        let warnings = r.stderr.split(separator: "\n").filter { $0.contains("train.threads is 3 in the config") }
        #expect(warnings.count == 1 && warnings[0].hasSuffix("using \(threads)"), "\(r.stderr)")
    }
}
