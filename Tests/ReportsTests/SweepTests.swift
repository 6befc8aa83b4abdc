import Comm
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import TestSupport
import TrainerFixtures
import Testing
@testable import Reports
@testable import Support
@testable import Trainer

/// Sweep files expand as documented, and a sweep of two variants trains both, reports both, and skips finished
/// variants when run again.
@Suite(.serialized) struct SweepTests {
    /// Writes `json` to a new temporary file and returns its path.
    static func write(_ json: JSON, name: String, in dir: String) -> String {
        let path = dir + "/" + name
        try! json.pretty.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func gridListAndSeedsExpandInFileOrder() throws {
        let dir = MPIRunner.temporaryDirectory("sweep-file")
        let base = TrainerFixture.config("base")
        let sweep = SweepTests.write(.obj([
            "base": .string(base),
            "set": .obj(["optim.lr": .number(1e-3)]),
            "variants": .array([.obj(["name": .string("a"), "set": .obj(["curriculum.schedule": .string("uniform")])]),
                                .obj(["name": .string("b"), "set": .obj(["curriculum.batching": .string("concat"),
                                                                         "curriculum.context_length": .int(128)])])]),
            "grid": .obj(["curriculum.cycles": .ints([1, 2])]),
            "seeds": .ints([7, 8]),
        ]), name: "demo.json", in: dir)
        let s = try SweepFile.load(path: sweep)
        let expected = ["a,cycles=1,seed=7", "a,cycles=1,seed=8", "a,cycles=2,seed=7", "a,cycles=2,seed=8",
                        "b,cycles=1,seed=7", "b,cycles=1,seed=8", "b,cycles=2,seed=7", "b,cycles=2,seed=8"]
        #expect(s.variants.map(\.name) == expected)
        #expect(s.name == "demo")
        #expect(s.outDirectory == "runs/sweeps/demo")
        let v = s.variants[6]  // b, cycles 2, seed 7
        #expect(v.config["curriculum"]?["batching"] == .string("concat"))
        #expect(v.config["curriculum"]?["context_length"] == .int(128))
        #expect(v.config["curriculum"]?["cycles"] == .int(2))
        #expect(v.config["train"]?["seed"] == .int(7))
        #expect(v.config["optim"]?["lr"] == .number(1e-3))
        #expect(v.config["name"] == .string("b,cycles=2,seed=7"))
        // Keys the variant does not touch keep the base config's values.
        #expect(v.config["model"]?["dim"] == .int(32))
        #expect(s.variants[0].config["curriculum"]?["schedule"] == .string("uniform"))
        #expect(s.variants[0].config["curriculum"]?["batching"] == .string("bucket"))
    }

    @Test func baseIsFoundNextToTheSweepFile() throws {
        let dir = MPIRunner.temporaryDirectory("sweep-rel")
        let baseJSON = try FileIO.readJSON(TrainerFixture.config("rel"))
        _ = SweepTests.write(baseJSON, name: "base.json", in: dir)
        let sweep = SweepTests.write(.obj(["base": .string("base.json"), "out": .string(dir + "/out")]), name: "one.json", in: dir)
        let s = try SweepFile.load(path: sweep)
        #expect(s.variants.map(\.name) == ["one"])
        #expect(s.runDirectory(s.variants[0]) == dir + "/out/one")
    }

    @Test func badSweepFilesFailWithOneLineNamingTheProblem() throws {
        let dir = MPIRunner.temporaryDirectory("sweep-bad")
        let base = TrainerFixture.config("bad")
        let cases: [(JSON, String)] = [
            (.obj(["base": .string(base), "variants": .array([.obj(["name": .string("x"), "set": .obj(["curriculum.bogus": .int(1)])])])]),
             "curriculum.bogus"),
            (.obj(["base": .string(base), "grid": .obj(["curriculum.cycles": .ints([1, 1])])]), "both named"),
            (.obj(["base": .string(base), "baseline": .string("nope")]), "nope"),
            (.obj(["base": .string(dir + "/missing.json")]), "missing.json"),
            (.obj(["base": .string(base), "grid": .obj(["curriculum.cycles": .int(2)])]), "grid.curriculum.cycles"),
            (.obj(["base": .string(base), "colour": .string("red")]), "colour"),
        ]
        for (n, (json, needle)) in cases.enumerated() {
            let path = SweepTests.write(json, name: "bad\(n).json", in: dir)
            do {
                _ = try SweepFile.load(path: path)
                Issue.record("case \(n) was accepted")
            } catch let e as DDError {
                #expect(e.message.contains(needle), "case \(n): \(e.message)")
                #expect(!e.message.contains("\n"))
                #expect(e.message.contains("fix") || e.message.contains("variant"), "case \(n): \(e.message)")
            }
        }
    }

    /// Two variants (a concat-and-chunk baseline and DD) in one job, the report over both, then a second job that
    /// finds one variant finished (skipped), one removed (trained again) and one missing only its summary (resumed).
    @Test func sweepOfTwoVariantsReportsBothAndResumesSkippingFinishedRuns() throws {
        let dir = MPIRunner.temporaryDirectory("sweep-run")
        let base = TrainerFixture.config("sweepbase", train: [("eval_every", .int(4))])
        let sweepPath = SweepTests.write(.obj([
            "name": .string("pair"), "base": .string(base), "out": .string(dir + "/out"), "baseline": .string("concat"),
            "set": .obj(["eval.layouts": .string("buckets"), "curriculum.total_tokens": .int(8192)]),
            "variants": .array([.obj(["name": .string("concat"), "set": .obj(["curriculum.batching": .string("concat"),
                                                                              "curriculum.context_length": .int(128)])]),
                                .obj(["name": .string("dd"), "set": .obj(["curriculum.schedule": .string("grow_p2")])]),
                                .obj(["name": .string("packed"), "set": .obj(["curriculum.batching": .string("packed"),
                                                                              "curriculum.context_length": .int(128)])])]),
        ]), name: "pair.json", in: dir)
        let sweep = try SweepFile.load(path: sweepPath)
        let comm = SingleProcessCommunicator()
        Log.quiet = true
        defer { Log.quiet = false }
        let first = try SweepRunner.run(sweep, comm: comm)
        #expect(first.ran == ["concat", "dd", "packed"])
        #expect(first.skipped.isEmpty && first.resumed.isEmpty)
        #expect(SweepRunner.completedRuns(sweep) == [dir + "/out/concat", dir + "/out/dd", dir + "/out/packed"])

        let report = try Report(runDirectories: SweepRunner.completedRuns(sweep), baseline: sweep.baseline, title: "pair")
        try report.write(to: dir + "/out/report")
        let markdown = try String(contentsOfFile: dir + "/out/report/report.md", encoding: .utf8)
        let tableRows = markdown.split(separator: "\n").filter { line in ["| concat |", "| dd |", "| packed |"].contains { line.hasPrefix($0) } }
        #expect(tableRows.count == 3)
        // Both runs were scored on the same buckets, 2^4 … 2^8.
        for length in [16, 32, 64, 128, 256] { #expect(markdown.contains("loss @\(length)")) }
        // Tokens from the metrics agree with what each run's summary.json counted.
        for (row, run) in zip(report.rows, report.runs) {
            #expect(row.finalLoss.isFinite && row.tokens > 0 && row.tokens == run.summary?["tokens"]?.intValue)
        }
        #expect(report.rows[0].timeToBaseline != nil)  // the baseline reaches its own final loss
        // Segments replayed from the data: concat chunks are whole 128-token segments, so the context is 127/2;
        // packed bins are cut at document starts, so their context is shorter and the tokens still add up.
        #expect(report.rows[0].segmentsExact && report.rows[0].averageContext == 63.5)
        #expect(report.rows[2].segmentsExact && report.rows[2].averageContext < 63.5)
        let packed = ReportSegments.histogram(report.runs[2])
        // The replayed segments cover exactly the positions the trainer computed a loss on (its own count).
        let targets = try MetricsLog.read(dir + "/out/packed/metrics.jsonl").filter { $0["type"] == .string("train") }
            .reduce(0) { $0 + ($1["target_tokens"]?.intValue ?? 0) }
        #expect(packed.tokens == targets && packed.counts.keys.contains { $0 < 128 })

        let names = ["loss_vs_tokens.svg", "loss_vs_time.svg", "length_over_steps.svg", "loss_per_length.svg"]
        for name in names {
            let path = dir + "/out/report/figures/" + name
            let parsed = try SVGCheck.parse(path)
            #expect(parsed.root == "svg", "\(name)")
            #expect(parsed.texts.contains("concat") && parsed.texts.contains("dd"), "\(name): legend or panel titles lack a run")
            #expect(parsed.polylines >= 2, "\(name): \(parsed.polylines) lines")
        }

        // Second job: dd removed entirely, concat intact.
        let concatMetrics = try Data(contentsOf: URL(fileURLWithPath: dir + "/out/concat/metrics.jsonl"))
        try FileManager.default.removeItem(atPath: dir + "/out/dd")
        let second = try SweepRunner.run(sweep, comm: comm)
        #expect(second.skipped == ["concat", "packed"])
        #expect(second.ran == ["dd"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/out/concat/metrics.jsonl")) == concatMetrics)

        // Third job: dd lost its summary after its last checkpoint, so it resumes (and only evaluates again).
        try FileManager.default.removeItem(atPath: dir + "/out/dd/summary.json")
        let third = try SweepRunner.run(sweep, comm: comm)
        #expect(third.skipped == ["concat", "packed"])
        #expect(third.resumed == ["dd"])
        #expect(FileManager.default.fileExists(atPath: dir + "/out/dd/summary.json"))
    }

    /// `ddtrain sweep` under mpirun: both ranks train every variant in one job, the report follows, and a second
    /// job finds everything complete.
    @Test func sweepCommandRunsEveryVariantInOneTwoRankJob() throws {
        let dir = MPIRunner.temporaryDirectory("sweep-mpi")
        let base = TrainerFixture.config("mpibase")
        let sweepPath = SweepTests.write(.obj([
            "name": .string("mpi"), "base": .string(base), "out": .string(dir + "/out"),
            "set": .obj(["curriculum.total_tokens": .int(4096), "eval.layouts": .string("buckets")]),
            "variants": .array([.obj(["name": .string("concat"), "set": .obj(["curriculum.batching": .string("concat"),
                                                                              "curriculum.context_length": .int(128)])]),
                                .obj(["name": .string("dd"), "set": .obj([:])])]),
        ]), name: "mpi.json", in: dir)
        let first = try MPIRunner.mpirun(2, ["sweep", sweepPath], timeout: 120)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("2 trained, 0 resumed, 0 already complete"))
        for name in ["concat", "dd"] {
            let summary = try FileIO.readJSON(dir + "/out/\(name)/summary.json")
            #expect(summary["ranks"]?.intValue == 2)
        }
        #expect(FileManager.default.fileExists(atPath: dir + "/out/report/report.md"))
        let second = try MPIRunner.mpirun(2, ["sweep", sweepPath, "--no-report"], timeout: 60)
        #expect(second.status == 0)
        #expect(second.stdout.contains("0 trained, 0 resumed, 2 already complete"))
    }
}
