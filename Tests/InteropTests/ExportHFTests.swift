import Foundation
import Testing
import TestSupport
import TrainerFixtures
@testable import Interop
@testable import Support
@testable import Trainer
@testable import Transformer

/// The export loaded by Hugging Face transformers itself (LlamaForCausalLM, torch float32; GPT2TokenizerFast).
///
/// launch/test installs torch and transformers into a virtual environment of the checkout and names its Python
/// in DDTRAIN_PYTHON; when that install was impossible it says why in DDTRAIN_HF_UNAVAILABLE, and these tests
/// skip with that reason. Run alone (`swift test --filter ExportHFTests`), they use DDTRAIN_PYTHON or python3.
@Suite(.serialized) struct ExportHFTests {
    /// The Python that has torch and transformers.
    static let python = ProcessInfo.processInfo.environment["DDTRAIN_PYTHON"] ?? "python3"

    /// Why the comparisons cannot run here, or nil when torch and transformers import.
    static let unavailable: String? = {
        if let reason = ProcessInfo.processInfo.environment["DDTRAIN_HF_UNAVAILABLE"], !reason.isEmpty { return reason }
        let r = try? ProcessRunner.run([python, "-c", "import torch, transformers"], timeout: 180)
        if r?.status == 0 { return nil }
        let why = r?.stderr.split(separator: "\n").last.map(String.init) ?? "\(python) did not start"
        return "\(python) cannot import torch and transformers (\(why)); launch/test installs them"
    }()

    /// The skip note Swift Testing prints for a skipped comparison.
    static var skipNote: Comment { Comment(rawValue: "Hugging Face comparison: \(unavailable ?? "")") }

    /// Runs tools/hf_compare.py with `args`; fails the caller with its stderr when it fails.
    static func compareTool(_ args: [String]) throws -> ProcessResult {
        let r = try ProcessRunner.run([python, MPIRunner.packageRoot + "/tools/hf_compare.py"] + args, timeout: 300)
        try #require(r.status == 0, "hf_compare.py failed: \(r.stderr)")
        return r
    }

    @Test(.enabled(if: ExportHFTests.unavailable == nil, ExportHFTests.skipNote))
    func llamaForCausalLMComputesTheSameLogits() throws {
        let model = try ExportFixture.randomModel(ExportFixture.config(), seed: 31)
        let out = MPIRunner.temporaryDirectory("hf") + "/hf"
        _ = try ModelExport.export(checkpoint: try ExportFixture.writeCheckpoint(model), to: out)
        let tokens = ExportFixture.prompt(24, seed: 4)
        let file = MPIRunner.temporaryDirectory("hf-logits") + "/logits.f32"
        _ = try Self.compareTool([out, "--tokens", tokens.map(String.init).joined(separator: ","), "--out", file])
        let (diff, scale) = ExportFixture.compare(try ExportFixture.logits(model, tokens), try TrainerFixture.floats(file))
        // Both sides are float32: allow 1e-4 of the largest logit.
        #expect(diff <= 1e-4 * max(1, scale), "logits differ by \(diff) (scale \(scale))")
    }

    /// A text with what GPT-2's pre-tokenizer splits on: contractions, digits, punctuation runs, runs of spaces
    /// and newlines, accented letters, CJK and an emoji (bytes outside the first 256 code points).
    static let testText = "It's 2,048 tokens' worth: naïve café — don't  stop!\n\n\tTabs,   spaces… 東京 🚀 and\n the end.  "

    /// The whole trip of a GPT-2 run: `ddtrain prepare` and `train` with the GPT-2 tokenizer, `ddtrain export`,
    /// then transformers loads the model and GPT2TokenizerFast from the export's vocab.json and merges.txt. The
    /// tokenizer must give ddtrain's ids for the test text (`ddtrain sample --json` prints the prompt's ids) and
    /// the model ddtrain's logits for them.
    @Test(.enabled(if: ExportHFTests.unavailable == nil, ExportHFTests.skipNote))
    func gpt2RunExportLoadsWithItsTokenizer() throws {
        let dir = MPIRunner.temporaryDirectory("hf-gpt2")
        var rng = Xoshiro256(seed: 7)
        let lines = (0..<120).map { _ -> String in
            let words = (0..<(8 + rng.nextInt(below: 120))).map { _ in TrainerFixture.words[rng.nextInt(below: TrainerFixture.words.count)] }
            return JSON.obj(["text": .string(words.joined(separator: " ") + ".")]).compact
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/docs.jsonl", atomically: true, encoding: .utf8)
        let config = JSON.obj([
            "name": .string("hf-gpt2"),
            "data": .obj(["dir": .string(dir + "/prepared"), "sources": .array([.string(dir + "/docs.jsonl")]), "tokenizer": .string("gpt2"),
                          "tokenizer_dir": .string(MPIRunner.packageRoot + "/assets/gpt2"), "min_bucket": .int(3), "max_bucket": .int(5),
                          "valid_fraction": .number(0.1), "baselines": .ints([32])]),
            "model": .obj(["layers": .int(1), "dim": .int(16), "heads": .int(2)]),
            "curriculum": .obj(["tokens_per_step": .int(128), "total_tokens": .int(1024), "cycles": .int(1)]),
            "train": .obj(["max_steps": .int(2), "checkpoint_every": .int(2), "eval_every": .int(0)]),
            "eval": .obj(["max_sequences_per_bucket": .int(2)]),
        ])
        try config.pretty.write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        let run = dir + "/run", out = dir + "/hf"
        for args in [["prepare", "--config", dir + "/config.json"], ["train", "--config", dir + "/config.json", "--out", run]] {
            let r = try MPIRunner.ddtrain(args, timeout: 300)
            try #require(r.status == 0, "ddtrain \(args[0]) failed: \(r.stderr)")
        }
        let checkpoint = try #require(try CheckpointStore(runDirectory: run, keep: 1).list().first)
        let export = try MPIRunner.ddtrain(["export", "--checkpoint", checkpoint, "--out", out])
        try #require(export.status == 0, "\(export.stderr)")
        #expect(FileIO.exists(out + "/vocab.json") && FileIO.exists(out + "/merges.txt"))

        let sample = try MPIRunner.ddtrain(["sample", "--checkpoint", checkpoint, "--prompt", Self.testText, "--tokens", "0", "--json"])
        try #require(sample.status == 0, "\(sample.stderr)")
        let ours = try #require(try JSONParser.parse(sample.stdout)["prompt_ids"]?.arrayValue).compactMap(\.intValue)
        try Self.testText.write(toFile: dir + "/text.txt", atomically: true, encoding: .utf8)
        let logitsFile = dir + "/logits.f32"
        let hf = try JSONParser.parse(try Self.compareTool([out, "--text", dir + "/text.txt", "--out", logitsFile]).stdout)
        let theirs = try #require(hf["ids"]?.arrayValue).compactMap(\.intValue)
        #expect(ours.count > 20 && ours == theirs, "ddtrain's ids \(ours) vs GPT2TokenizerFast's \(theirs)")
        #expect(hf["tokenizer_size"]?.intValue == 50257)
        #expect(hf["decoded"]?.stringValue == Self.testText)

        let model = try CheckpointContext(checkpoint: checkpoint).loadModel(maxTokens: ours.count)
        let (diff, scale) = ExportFixture.compare(try ExportFixture.logits(model, ours.map { Int32($0) }), try TrainerFixture.floats(logitsFile))
        #expect(diff <= 1e-4 * max(1, scale), "logits differ by \(diff) (scale \(scale))")
    }
}
