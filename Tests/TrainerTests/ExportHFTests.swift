import Foundation
import Testing
import TestSupport
@testable import Support
@testable import Trainer
@testable import Transformer

/// The export loaded by Hugging Face transformers itself (LlamaForCausalLM, torch float32), where they import.
@Suite struct ExportHFTests {
    /// Whether `import torch, transformers` works in python3 here.
    static let available: Bool = {
        (try? ProcessRunner.run(["python3", "-c", "import torch, transformers"], timeout: 120).status) == 0
    }()

    @Test(.enabled(if: ExportHFTests.available, "skipped: python3 cannot import torch and transformers on this machine"))
    func llamaForCausalLMComputesTheSameLogits() throws {
        let model = try ExportFixture.randomModel(ExportFixture.config(), seed: 31)
        let out = MPIRunner.temporaryDirectory("hf") + "/hf"
        _ = try ModelExport.export(checkpoint: try ExportFixture.writeCheckpoint(model), to: out)
        let tokens = ExportFixture.prompt(24, seed: 4)
        let file = MPIRunner.temporaryDirectory("hf-logits") + "/logits.f32"
        let r = try ProcessRunner.run(["python3", MPIRunner.packageRoot + "/tools/hf_compare.py", out, "--tokens",
                                       tokens.map(String.init).joined(separator: ","), "--out", file], timeout: 300)
        try #require(r.status == 0, "\(r.stderr)")
        let (diff, scale) = ExportFixture.compare(try ExportFixture.logits(model, tokens), try TrainerFixture.floats(file))
        // Both sides are float32: allow 1e-4 of the largest logit.
        #expect(diff <= 1e-4 * max(1, scale), "logits differ by \(diff) (scale \(scale))")
    }
}
