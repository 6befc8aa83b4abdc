import Foundation
import TestSupport
import TrainerFixtures
import Testing
@testable import Reports
@testable import Support
@testable import Trainer

/// The seeded pipeline end to end on the bundled corpus: `ddtrain sweep configs/sweep-smoke-seeds.json` under
/// mpirun (2 variants × 3 seeds), then the report groups the six runs into two variants whose statistics match a
/// hand computation from each run's own summary.json, and every run, baseline or DD, was scored at the longest length.
@Suite(.serialized) struct SeededSweepTests {
    @Test func seededSweepReportsMeanAndSDPerVariant() throws {
        let root = MPIRunner.temporaryDirectory("seeded-sweep")
        let data = try BundledCorpusFixture.prepare(config: "configs/smoke.json", root: root)
        let sweepFile = MPIRunner.packageRoot + "/configs/sweep-smoke-seeds.json"
        let out = root + "/out"
        let sweep = try MPIRunner.mpirun(2, ["sweep", sweepFile, "--out", out, "--set", "data.dir=\(data)"], timeout: 600)
        try #require(sweep.status == 0, "\(sweep.stderr)")
        #expect(sweep.stdout.contains("6 trained, 0 resumed, 0 already complete"))

        let report = try FileIO.readJSON(out + "/report/report.json")
        #expect(report["baseline"] == .string("concat"))
        let variants = try #require(report["variants"]?.arrayValue)
        #expect(variants.compactMap { $0["name"]?.stringValue } == ["concat", "dd-grow_p2"])
        for v in variants {
            let name = v["name"]!.stringValue!
            #expect(v["seeds"] == .ints([1, 2, 3]))
            // The reference: each run's final held-out loss from its summary.json, mean and n − 1 sd by hand.
            let losses = try (1...3).map { seed -> Double in
                let summary = try FileIO.readJSON(out + "/\(name),seed=\(seed)/summary.json")
                return try #require(summary["final_eval"]?["loss"]?.doubleValue)
            }
            let mean = (losses[0] + losses[1] + losses[2]) / 3
            let sd = (losses.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 2).squareRoot()
            #expect(sd > 0, "\(name): the seeds trained identical runs: \(losses)")
            let stats = try #require(v["final_loss"])
            #expect(stats["n"] == .int(3))
            #expect(abs(stats["mean"]!.doubleValue! - mean) < 1e-12 && abs(stats["sd"]!.doubleValue! - sd) < 1e-12)
            #expect(stats["min"]?.doubleValue == losses.min() && stats["max"]?.doubleValue == losses.max())
            // Scored on every bucket of the smoke data, 2^5 … 2^8: the longest length too, for the baseline as well.
            let byLength = try #require(v["loss_by_length"]?.objectValue)
            #expect(byLength.map(\.0) == ["32", "64", "128", "256"], "\(name)")
            #expect(byLength.last?.1["n"] == .int(3))
        }
        let md = try String(contentsOfFile: out + "/report/report.md", encoding: .utf8)
        #expect(md.contains("## Variants (mean ± sd over seeds)") && md.contains(SeedDifference.legend))
        #expect(md.contains("| concat | concat L=256 | 3 (1, 2, 3) |") && md.contains("| dd-grow_p2 | DD grow_p2 ×2 | 3 (1, 2, 3) |"))
        #expect(md.contains("Held-out loss at the longest length, 256 tokens:"))
        #expect(md.contains("Machine: CPU "))
        #expect(!md.contains("differ in more than their seeds"))  // the runs of a variant differ only in their seeds
        let figure = try SVGCheck.parse(out + "/report/figures/loss_vs_tokens.svg")
        #expect(figure.polygons == 4 && figure.texts.contains("dd-grow_p2 (3 seeds)"))
    }
}

/// The committed reproduction sweep expands to what issue 16 asks for, without running it.
struct ReproductionSweepFileTests {
    @Test func fourKSweepHasEightVariantsTimesThreeSeedsAtLength4096() throws {
        let sweep = try SweepFile.load(path: MPIRunner.packageRoot + "/configs/sweep-repro-bench-4k.json")
        let names = ["concat", "concat_masked", "packed", "dd-uniform-8", "dd-grow_p2-1", "dd-grow_p2-8", "dd-grow_p100-8", "dd-shrink_p2-8"]
        #expect(sweep.variants.map(\.name) == names.flatMap { n in (1...3).map { "\(n),seed=\($0)" } })
        #expect(sweep.baseline == "concat")
        for v in sweep.variants {
            let c = try TrainingConfig(json: v.config)
            let seed = ReportGroup.variant(ofRun: v.name).seed
            #expect(c.run.seed == seed && c.curriculum.seed == seed.map(UInt64.init), "\(v.name)")
            // One precision for every run: bf16, what `auto` picks on the CPUs this sweep is for (AVX512-BF16 or
            // AMX), pinned so that no run's speed probe can pick another under load.
            #expect(c.run.precision == .bf16 && c.eval.layouts == .buckets, "\(v.name)")
            #expect(c.curriculum.contextLength == 4096 && c.data.decomposition.maxBucket == 12 && c.data.baselines == [4096], "\(v.name)")
        }
    }
}
