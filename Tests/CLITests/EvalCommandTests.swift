import Foundation
import Testing
import TestSupport
import TrainerFixtures
@testable import Corpus
@testable import Support
@testable import Trainer
@testable import Transformer

/// `ddtrain eval`: per-layout held-out loss of a checkpoint equals the mean cross-entropy the test computes
/// itself from Model.logits over every validation sequence, alone and under mpirun with 2 ranks.
@Suite(.serialized) struct EvalCommandTests {
    /// Mean next-token cross-entropy (float64 log-sum-exp over the logits) of every held-out sequence of `layout`.
    func referenceLoss(_ model: Model, _ store: DatasetStore, layout: Int) throws -> (loss: Double, tokens: Int) {
        var sum = 0.0, count = 0
        let V = model.config.vocab
        for shard in 0..<store.manifest.shardCount {
            for index in 0..<store.count(layout: layout, shard: shard, split: .valid) {
                let tokens = try store.sequence(layout: layout, shard: shard, split: .valid, index: index).tokens
                let inputs = Array(tokens.dropLast()), targets = Array(tokens.dropFirst())
                let logits = try ExportFixture.logits(model, inputs)
                for t in 0..<inputs.count {
                    let row = logits[t * V..<(t + 1) * V].map(Double.init)
                    let top = row.max()!
                    let lse = top + Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - top) })
                    sum += lse - row[Int(targets[t])]
                    count += 1
                }
            }
        }
        return (sum / Double(count), count)
    }

    @Test func evalMatchesAnIndependentLossOnOneAndTwoRanks() throws {
        let config = TrainerFixture.config("eval", train: [("max_steps", .int(2))])
        let run = MPIRunner.temporaryDirectory("eval-run") + "/run"
        let train = try MPIRunner.ddtrain(["train", "--config", config, "--out", run], timeout: 120)
        try #require(train.status == 0, "\(train.stderr)")
        let checkpoint = CheckpointStore(runDirectory: run, keep: 1).path(forStep: 2)
        let args = ["eval", "--checkpoint", checkpoint, "--max-sequences", "100000", "--json"]
        let single = try MPIRunner.ddtrain(args)
        try #require(single.status == 0, "\(single.stderr)")
        let record = try JSONParser.parse(single.stdout)
        let layouts = try #require(record["layouts"]?.objectValue)
        #expect(layouts.map(\.0) == ["bucket-04", "bucket-05", "bucket-06", "bucket-07", "bucket-08"])

        let store = try DatasetStore(directory: TrainerFixture.dataDirectory)
        let model = try CheckpointContext(checkpoint: checkpoint).loadModel(maxTokens: 512)
        for (name, value) in layouts {
            let index = try #require(store.manifest.layouts.firstIndex { $0.name == name })
            let reference = try referenceLoss(model, store, layout: index)
            let loss = try #require(value["loss"]?.doubleValue)
            #expect(value["tokens"]?.intValue == reference.tokens, "\(name)")
            #expect(abs(loss - reference.loss) <= 1e-5 * reference.loss, "\(name): eval \(loss), reference \(reference.loss)")
        }

        let two = try MPIRunner.mpirun(2, args)
        try #require(two.status == 0, "\(two.stderr)")
        let twoRecord = try JSONParser.parse(two.stdout.split(separator: "\n").last.map(String.init) ?? "")
        let a = try #require(record["loss"]?.doubleValue), b = try #require(twoRecord["loss"]?.doubleValue)
        #expect(abs(a - b) <= 1e-6 * a, "1 rank \(a), 2 ranks \(b)")
        #expect(record["tokens"] == twoRecord["tokens"])

        // Without --max-sequences the run's eval settings apply: the figure of the run's own final eval record.
        let defaults = try JSONParser.parse(try MPIRunner.ddtrain(["eval", "--checkpoint", checkpoint, "--json"]).stdout)
        let final = try MetricsLog.read(run + "/metrics.jsonl").last { $0["type"]?.stringValue == "eval" }
        let runLoss = try #require(final?["loss"]?.doubleValue)
        #expect(abs((defaults["loss"]?.doubleValue ?? 0) - runLoss) <= 1e-5 * runLoss)
    }
}
