import Foundation
import Testing
import TestSupport
import TrainerFixtures
@testable import Support
@testable import Trainer

/// The product's path end to end on the bundled corpus: prepare under mpirun, train the smoke config on 2 ranks,
/// and check that the held-out loss falls well below where it starts (a uniform guess over 257 byte ids is
/// ln 257 ≈ 5.55 nats; a model that learns nothing stays there).
@Suite(.serialized) struct BundledCorpusTrainingTests {
    @Test func shortRunLowersHeldOutLoss() throws {
        let root = MPIRunner.temporaryDirectory("bundled")
        let config = MPIRunner.packageRoot + "/configs/smoke.json"
        let data = try BundledCorpusFixture.prepare(config: "configs/smoke.json", root: root)
        let run = root + "/run"
        let train = try MPIRunner.mpirun(2, ["train", "--config", config, "--set", "data.dir=\(data)", "--out", run,
                                             "--set", "curriculum.total_tokens=65536"], timeout: 600)
        try #require(train.status == 0, "\(train.stderr)")
        let evals = try MetricsLog.read(run + "/metrics.jsonl").filter { $0["type"]?.stringValue == "eval" }
        let first = try #require(evals.first?["loss"]?.doubleValue)
        let last = try #require(evals.last?["loss"]?.doubleValue)
        #expect(evals.first?["step"]?.intValue == 0)
        #expect(abs(first - log(257.0)) < 0.3, "an untrained model should be near ln 257, got \(first)")
        #expect(last < 0.75 * first, "held-out loss went from \(first) to \(last)")
        let summary = try FileIO.readJSON(run + "/summary.json")
        #expect(summary["steps"]?.intValue ?? 0 > 0)
        #expect(train.stdout.contains("run folder \(run)"))
    }
}
