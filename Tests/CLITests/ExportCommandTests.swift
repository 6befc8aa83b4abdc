import Foundation
import Testing
import TestSupport
import TrainerFixtures
@testable import Support
@testable import Trainer
@testable import Transformer

/// The whole trip through the built binary: a Llama model written by the numpy tool → `ddtrain train
/// --init-from DIR` (learning rate 0, so the trained parameters are the imported ones) → `ddtrain export` →
/// the numpy reference again. Both ends must compute the reference's logits.
@Suite(.serialized) struct ExportCommandTests {
    /// A model made by the tool with the trainer fixture's shape (2 layers, dim 32, 2 heads, byte vocabulary).
    func fixtureShapedModel(dim: Int = 32) throws -> String {
        let dir = MPIRunner.temporaryDirectory("cli-import") + "/made"
        _ = try ExportFixture.python(["make", dir, "--layers", "2", "--dim", String(dim), "--heads", "2", "--kv-heads", "2",
                                      "--vocab", "257", "--hidden", "256", "--seed", "21"])
        return dir
    }

    @Test func pythonModelTrainsFromInitAndExportsBack() throws {
        let made = try fixtureShapedModel()
        let config = TrainerFixture.config("initfrom", train: [("max_steps", .int(1))], optim: [("lr", .number(0)), ("min_lr", .number(0))])
        let run = MPIRunner.temporaryDirectory("cli-run") + "/run"
        let train = try MPIRunner.ddtrain(["train", "--config", config, "--out", run, "--init-from", made], timeout: 120)
        try #require(train.status == 0, "\(train.stderr)")
        #expect(train.stderr.contains("initialised the model from the export"))
        let checkpoint = CheckpointStore(runDirectory: run, keep: 1).path(forStep: 1)
        let model = try CheckpointContext(checkpoint: checkpoint).loadModel(maxTokens: 64)
        let tokens = ExportFixture.prompt(24, seed: 3)
        let ours = try ExportFixture.logits(model, tokens)
        var (diff, scale) = ExportFixture.compare(ours, try ExportFixture.referenceLogits(made, tokens: tokens))
        #expect(diff <= ExportFixture.tolerance * max(1, scale), "imported model: logits differ by \(diff) (scale \(scale))")

        let out = MPIRunner.temporaryDirectory("cli-export") + "/hf"
        let export = try MPIRunner.ddtrain(["export", "--checkpoint", checkpoint, "--out", out, "--json"], timeout: 60)
        try #require(export.status == 0, "\(export.stderr)")
        let report = try JSONParser.parse(export.stdout)
        #expect(report["convention"]?.stringValue == "llama")
        (diff, scale) = ExportFixture.compare(ours, try ExportFixture.referenceLogits(out, tokens: tokens))
        #expect(diff <= ExportFixture.tolerance * max(1, scale), "exported model: logits differ by \(diff) (scale \(scale))")
        // The run's config names the tokenizer and its data the longest trained length (bucket 2^8).
        let tokenizer = try FileIO.readJSON(out + "/ddtrain_tokenizer.json")
        #expect(tokenizer["name"]?.stringValue == "byte")
        #expect(try FileIO.readJSON(out + "/config.json")["max_position_embeddings"]?.intValue == 256)
    }

    /// An export of another shape stops `train --init-from` with one line naming the tensor and both shapes.
    @Test func initFromAnExportOfAnotherShapeFails() throws {
        let made = try fixtureShapedModel(dim: 48)
        let config = TrainerFixture.config("initfrom-bad", train: [("max_steps", .int(1))])
        let run = MPIRunner.temporaryDirectory("cli-run-bad") + "/run"
        let train = try MPIRunner.ddtrain(["train", "--config", config, "--out", run, "--init-from", made], timeout: 120)
        #expect(train.status == 1)
        let lines = train.stderr.split(separator: "\n").filter { $0.hasPrefix("ddtrain:") }
        #expect(lines.count == 1)
        #expect(train.stderr.contains("'model.embed_tokens.weight' has shape [257, 48] but the config's model needs [257, 32]"), "\(train.stderr)")
    }
}
