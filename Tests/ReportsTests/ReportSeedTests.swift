import Foundation
import TestSupport
import Testing
@testable import Reports
@testable import Support
@testable import Trainer

/// Seed statistics against Python's `statistics` module, the resolved/unresolved rule at its boundary, and a report
/// over synthetic seeded runs whose every figure is worked out by hand.
struct ReportSeedTests {
    // MARK: statistics

    @Test func meanAndSampleSDMatchPythonStatistics() {
        // statistics.mean / statistics.stdev (n − 1 divisor) of each list, printed by Python 3.11.
        let cases: [([Double], Double, Double)] = [
            ([2.654, 2.748, 2.701], 2.701, 0.04700000000000015),
            ([2.612, 2.639, 2.598], 2.6163333333333334, 0.02084066537645405),
            ([1, 2, 4, 8], 3.75, 3.095695936834452),
            ([3.1, 3.1000000001], 3.10000000005, 7.07106839692825e-11),
        ]
        for (xs, mean, sd) in cases {
            let s = SeedStatistics(xs)
            #expect(s.count == xs.count)
            #expect(abs(s.mean - mean) <= 1e-15 * abs(mean), "\(xs)")
            #expect(abs(s.sd - sd) <= 1e-9 * sd, "\(xs): \(s.sd) vs \(sd)")
            #expect(s.min == xs.min() && s.max == xs.max())
        }
    }

    @Test func nonFiniteValuesAreLeftOutAndOneValueHasNoSpread() {
        let s = SeedStatistics([1, .nan, 3, .infinity])
        #expect(s.count == 2 && s.mean == 2 && abs(s.sd - 2.0.squareRoot()) < 1e-15)
        let one = SeedStatistics([2.5])
        #expect(one.count == 1 && one.mean == 2.5 && one.sd.isNaN && one.text(2) == "2.50")
        let none = SeedStatistics([.nan])
        #expect(none.count == 0 && none.mean.isNaN && none.text(2) == "—")
        #expect(SeedStatistics([1, 2, 3]).text(3) == "2.000 ± 1.000")
        #expect(SeedStatistics([1, 2, 3]).json == .obj(["n": .int(3), "mean": .number(2), "sd": .number(1), "min": .number(1), "max": .number(3)]))
    }

    @Test func aDifferenceIsResolvedOnlyBeyondTwiceTheLargerSD() {
        let a = SeedStatistics([2.654, 2.748, 2.701])  // sd 0.047
        let b = SeedStatistics([2.612, 2.639, 2.598])  // sd 0.0208
        // 2.701 − 2.61633 = 0.0847 < 2 × 0.047 = 0.094: unresolved, whichever way round.
        #expect(!SeedDifference(a, b).resolved && !SeedDifference(b, a).resolved)
        #expect(abs(SeedDifference(a, b).delta - 0.08466666666666667) < 1e-12)
        // 2.701 − 2.51 = 0.191 > 0.094: resolved (the larger sd is a's, not c's 0.01).
        let c = SeedStatistics([2.50, 2.52, 2.51])
        #expect(SeedDifference(a, c).resolved && SeedDifference(c, a).resolved)
        #expect(SeedDifference(c, a).text(3) == "**-0.191** ✓")
        #expect(SeedDifference(a, b).text(3) == "+0.085")
        // Both spreads √2; 2√2 = 2.8284…: a gap of 2.83 is resolved, 2.82 is not.
        let x = SeedStatistics([0, 2])
        #expect(SeedDifference(SeedStatistics([2.83, 4.83]), x).resolved)
        #expect(!SeedDifference(SeedStatistics([2.82, 4.82]), x).resolved)
        // One seed on either side says nothing about the spread, however large the gap.
        #expect(!SeedDifference(SeedStatistics([10]), x).resolved)
        #expect(!SeedDifference(x, SeedStatistics([10])).resolved)
    }

    @Test func runNamesSplitIntoVariantAndSeed() {
        #expect(ReportGroup.variant(ofRun: "dd,cycles=8,seed=3") == ("dd,cycles=8", 3))
        #expect(ReportGroup.variant(ofRun: "concat") == ("concat", nil))
        #expect(ReportGroup.variant(ofRun: "seed=12") == ("seeds", 12))
        #expect(ReportGroup.variant(ofRun: "a,seed=x") == ("a,seed=x", nil))
        #expect(ReportGroup.variant(ofRun: "a,seed=2,cycles=1") == ("a,cycles=1", 2))
    }

    // MARK: a seeded report worked by hand

    /// A run folder named `name` with evaluations (step, tokens, seconds, loss, loss @64, loss @128), a training step of
    /// ten 64-token sequences before each evaluation after the first, and a summary with `wall` seconds and the machine fields.
    static func run(_ root: String, _ name: String, batching: String, seed: Int, wall: Double,
                    evals: [(Int, Int, Double, Double, Double, Double)], precision: String = "bf16") -> String {
        let dir = root + "/" + name
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let config = JSON.obj([
            "name": .string(name),
            "data": .obj(["dir": .string(root + "/no-data"), "tokenizer": .string("byte")]),
            "model": .obj(["layers": .int(2), "dim": .int(32), "heads": .int(2)]),
            "curriculum": .obj(["batching": .string(batching), "context_length": .int(128), "seed": .int(seed)]),
            "train": .obj(["seed": .int(seed)]),
        ])
        try! config.pretty.write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        var records: [JSON] = []
        for (step, seen, elapsed, loss, l64, l128) in evals {
            if step > 0 { records.append(ReportTests.train(step: step - 1, sequences: 10, length: 64, seen: seen)) }
            records.append(ReportTests.eval(step: step, seen: seen, elapsed: elapsed, loss: loss, buckets: [(64, l64), (128, l128)]))
        }
        try! records.map { $0.compact + "\n" }.joined().write(toFile: dir + "/metrics.jsonl", atomically: true, encoding: .utf8)
        let summary = JSON.obj(["wall_seconds": .number(wall), "precision": .string(precision), "cpu_model": .string("Test CPU 9000"),
                                "kernel_level": .string("avx512"),
                                "kernels": .obj(["linear_fp32": .string("openblas"), "attention": .string("tile-avx512")])])
        try! summary.pretty.write(toFile: dir + "/summary.json", atomically: true, encoding: .utf8)
        return dir
    }

    /// concat: 3 seeds, final losses 3.0 / 3.5 / 3.25 (mean 3.25, sd 0.25), walls 20 / 22 / 24 s;
    /// dd: 3 seeds, final 2.5 / 2.75 / 2.625 (mean 2.625, sd 0.125), crossing 3.25 at 3.5 / 4.375 / 5.25 s;
    /// uniform: 2 seeds, final 3.0 / 3.25 (mean 3.125, sd 0.1768).
    static func seededRuns() -> [String] {
        let root = MPIRunner.temporaryDirectory("report-seeds")
        var dirs: [String] = []
        for (seed, final, wall) in [(1, 3.0, 20.0), (2, 3.5, 22.0), (3, 3.25, 24.0)] {
            dirs.append(run(root, "concat,seed=\(seed)", batching: "concat", seed: seed, wall: wall, evals: [
                (0, 0, 0, 5, 5, 5), (10, 640, 10, 4, 4.2, 3.8), (20, 1280, 20, final, final + 0.5, final - 0.5)]))
        }
        for (seed, final, t10) in [(1, 2.5, 4.0), (2, 2.75, 5.0), (3, 2.625, 6.0)] {
            dirs.append(run(root, "dd,seed=\(seed)", batching: "bucket", seed: seed, wall: 2 * t10, evals: [
                (0, 0, 0, 5, 5, 5), (10, 640, t10, 3, 3.1, 2.9), (20, 1280, 2 * t10, final, final + 0.25, final - 0.25)]))
        }
        for (seed, final) in [(1, 3.0), (2, 3.25)] {
            dirs.append(run(root, "uniform,seed=\(seed)", batching: "bucket", seed: seed, wall: 15, evals: [
                (0, 0, 0, 5, 5, 5), (10, 640, 8, 4.5, 4.5, 4.5), (20, 1280, 15, final, final, final)]))
        }
        return dirs
    }

    @Test func variantsAreMeanAndSDOverSeedsWithTimesToTheBaselinesMeanLoss() throws {
        let report = try Report(runDirectories: ReportSeedTests.seededRuns(), title: "seeds")
        #expect(report.groups.map(\.name) == ["concat", "dd", "uniform"])
        #expect(report.groups.map(\.runs.count) == [3, 3, 2])
        #expect(report.baseline?.name == "concat" && ReportVariants.target(report.baseline) == 3.25)
        let concat = report.variants[0], dd = report.variants[1], uniform = report.variants[2]
        #expect(concat.seeds == [1, 2, 3] && concat.finalLoss.mean == 3.25 && abs(concat.finalLoss.sd - 0.25) < 1e-15)
        #expect(concat.wallSeconds.mean == 22 && concat.wallSeconds.sd == 2)
        // @128 = final − 0.5: 2.5, 3.0, 2.75.
        #expect(concat.bucketLosses[128]?.mean == 2.75 && abs(concat.bucketLosses[128]!.sd - 0.25) < 1e-15)
        // concat crosses 3.25 at 10 + 10·(4 − 3.25)/(4 − 3) = 17.5 s (seed 1), never (seed 2), at 20 s (seed 3, at its end).
        #expect(concat.timeToTarget.count == 2 && concat.timeToTarget.mean == 18.75)
        #expect(abs(concat.timeToTarget.sd - 1.25 * 2.0.squareRoot()) < 1e-12)
        #expect(concat.tokensToTarget.mean == (1120 + 1280) / 2)
        // dd: loss 5 → 3 between 0 s and t10 crosses 3.25 at 0.875·t10 = 3.5, 4.375, 5.25 s (sd 0.875), 560 tokens.
        #expect(dd.timeToTarget.count == 3 && abs(dd.timeToTarget.mean - 4.375) < 1e-12 && abs(dd.timeToTarget.sd - 0.875) < 1e-12)
        #expect(dd.tokensToTarget.mean == 560 && dd.tokensToTarget.sd == 0)
        #expect(abs(dd.timeToTargetShare - 4.375 / 22) < 1e-12)
        // dd − concat = −0.625; 2 × max(0.25, 0.125) = 0.5: resolved. uniform − concat = −0.125: unresolved.
        #expect(dd.lossVsBaseline == SeedDifference(dd.finalLoss, concat.finalLoss))
        #expect(dd.lossVsBaseline?.delta == -0.625 && dd.lossVsBaseline?.resolved == true)
        #expect(uniform.lossVsBaseline?.delta == -0.125 && uniform.lossVsBaseline?.resolved == false)
        #expect(uniform.timeToTarget.count == 2)  // 4.5 → 3.0 and 4.5 → 3.25 both cross 3.25 before the end

        let md = report.markdown
        let row = try #require(md.split(separator: "\n").first { $0.hasPrefix("| dd | DD") })
        #expect(row.contains("| 3 (1, 2, 3) | 2.6250 ± 0.1250 | **-0.6250** ✓ |"))
        #expect(row.contains("| 4.4 ± 0.9 | 0.20 | 560 ± 0 |"))
        #expect(md.contains("| concat | concat L=128 | 3 (1, 2, 3) | 3.2500 ± 0.2500 | (baseline) |"))
        #expect(md.contains("18.8 ± 1.8 (2 of 3 reached)"))
        #expect(md.contains(SeedDifference.legend))
        // Pairwise, row minus column: uniform − concat = −0.125 within 2 × 0.25; uniform − dd = 0.5 > 2 × 0.1768.
        #expect(md.contains("| uniform | -0.125 | **+0.500** ✓ | — |"))
        // At 128 tokens: uniform − concat = 0.375 within 2 × 0.25; uniform − dd = 0.75 > 2 × 0.1768.
        #expect(md.contains("Held-out loss at the longest length, 128 tokens:"))
        #expect(md.contains("| uniform | +0.375 | **+0.750** ✓ | — |"))
        #expect(md.contains("Machine: CPU Test CPU 9000; kernel level avx512; precision bf16; kernels: linear_fp32 openblas, attention tile-avx512."))
        // The per-run table still follows.
        #expect(md.contains("## Runs") && md.contains("| dd,seed=2 |"))

        let json = report.json
        let variants = try #require(json["variants"]?.arrayValue)
        #expect(variants.count == 3 && variants[1]["final_loss"]?["mean"] == .number(2.625))
        #expect(variants[1]["loss_vs_baseline"]?["resolved"] == .bool(true))
        #expect(json["machines"]?.arrayValue?.first?["runs"]?.arrayValue?.count == 8)
    }

    @Test func figuresDrawEachVariantsMeanWithAMinMaxBand() throws {
        let dirs = ReportSeedTests.seededRuns()
        let report = try Report(runDirectories: dirs)
        let byName = Dictionary(uniqueKeysWithValues: report.figures.map { ($0.name, $0.svg) })
        for name in ["loss_vs_tokens.svg", "loss_vs_time.svg", "loss_per_length.svg"] {
            let parsed = try SVGCheck.parse(data: Data(try #require(byName[name]).utf8), name: name)
            // A band under each of the 3 variants' lines and a band swatch in each legend entry.
            #expect(parsed.polygons == 6, "\(name): \(parsed.polygons) polygons")
            #expect(parsed.polylines == 3, "\(name)")
            #expect(parsed.texts.contains("dd (3 seeds)") && parsed.texts.contains("uniform (2 seeds)"), "\(name)")
        }
        // The mean line and its band, by hand: dd at step 10 is at tokens 640, mean time 5 s, loss 3 (all seeds).
        let dd = report.groups[1]
        let time = ReportGroupCurves.loss(dd) { $0.elapsed }
        #expect(time.x == [5, 10] && time.mean == [3, 2.625] && time.low == [3, 2.5] && time.high == [3, 2.75])
        let perLength = ReportGroupCurves.lossPerLength(report.groups[0])
        #expect(perLength.x == [64, 128] && perLength.mean == [3.75, 2.75] && perLength.low == [3.5, 2.5] && perLength.high == [4, 3])
        // A report of one run per variant draws no bands.
        let single = try Report(runDirectories: [dirs[0], dirs[3]])
        #expect(!single.hasSeeds && !single.markdown.contains("## Variants"))
        let svg = try #require(single.figures.first { $0.name == "loss_vs_tokens.svg" }?.svg)
        #expect(try SVGCheck.parse(data: Data(svg.utf8), name: "single").polygons == 0)
    }

    @Test func differingMachinesAndMissingLongestLengthAreFlagged() throws {
        let root = MPIRunner.temporaryDirectory("report-machines")
        let a = ReportSeedTests.run(root, "a,seed=1", batching: "bucket", seed: 1, wall: 10, evals: [(0, 0, 0, 5, 5, 5), (10, 640, 10, 3, 3, 3)])
        let b = ReportSeedTests.run(root, "a,seed=2", batching: "bucket", seed: 2, wall: 10, evals: [(0, 0, 0, 5, 5, 5), (10, 640, 10, 3, 3, 3)],
                                    precision: "fp32")
        // A run scored at 64 only: the long-context comparison would miss it.
        let c = root + "/short"
        try FileManager.default.createDirectory(atPath: c, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: a + "/config.json", toPath: c + "/config.json")
        try (ReportTests.eval(step: 1, seen: 64, elapsed: 1, loss: 3, buckets: [(64, 3)]).compact + "\n")
            .write(toFile: c + "/metrics.jsonl", atomically: true, encoding: .utf8)
        let md = try Report(runDirectories: [a, b, c]).markdown
        #expect(md.contains("Machines (wall times and tokens/s compare only between runs on the same one) (1 run(s) did not record it):"))
        #expect(md.contains("precision fp32; kernels: linear_fp32 openblas, attention tile-avx512: a,seed=2"))
        #expect(md.contains("Warning: short have no held-out loss at 128 tokens"))
        // Both seeds of a share everything but the seeds, so their configs agree.
        #expect(!md.contains("differ in more than their seeds"))
    }

    @Test func aBaselineNamesAVariantOrOneOfItsRuns() throws {
        let dirs = ReportSeedTests.seededRuns()
        #expect(try Report(runDirectories: dirs, baseline: "uniform").baseline?.name == "uniform")
        #expect(try Report(runDirectories: dirs, baseline: "dd,seed=2").baseline?.name == "dd")
        do {
            _ = try Report(runDirectories: dirs, baseline: "nope")
            Issue.record("accepted an unknown baseline")
        } catch let e as DDError {
            #expect(e.message.contains("nope") && e.message.contains("concat, dd, uniform") && !e.message.contains("\n"))
        }
    }
}
