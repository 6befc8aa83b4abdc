import Foundation
import TestSupport
import Support
import Trainer
import Transformer

/// Shared pieces of the export, import, sample and eval tests: random models, checkpoints written the way the
/// trainer writes them, and the numpy reference (tools/safetensors_reference.py) run as a child process.
public enum ExportFixture {
    /// Tolerance on logits, relative to the largest |logit| (at least 1): ddtrain runs in Float32, the reference in
    /// float64. Measured: 3e-6 … 1.6e-5 absolute at logits up to ~9 (≤ 2e-6 relative); an export without the RoPE
    /// permutation is off by ~10.
    public static let tolerance: Float = 2e-5

    /// A small model config (several heads so the per-head RoPE permutation matters; a low RoPE base so every
    /// pair rotates visibly over a short prompt).
    public static func config(layers: Int = 2, dim: Int = 32, heads: Int = 4, tied: Bool = false, ropeBase: Double = 100) -> ModelConfig {
        var c = ModelConfig(vocab: 257)
        c.layers = layers; c.dim = dim; c.heads = heads; c.tiedEmbeddings = tied; c.ropeBase = ropeBase
        return c
    }

    /// A model whose every parameter is random, norm gains included (a fresh model has gains of exactly 1, which
    /// would hide a norm exported under the wrong name).
    public static func randomModel(_ config: ModelConfig, seed: UInt64, maxTokens: Int = 64) throws -> Model {
        let model = try Model(config: config, maxTokens: maxTokens, seed: seed)
        var rng = Xoshiro256(seed: seed &+ 17)
        for t in model.layout.tensors {
            for i in t.range {
                model.params[i] = t.shape.count == 1 ? Float(0.5 + rng.nextDouble()) : Float(rng.nextGaussian() * 0.3)
            }
        }
        return model
    }

    /// Writes `model`'s parameters as a checkpoint RUN/checkpoints/checkpoint-00000001.ddt (header as the trainer
    /// writes it, no run config.json) and returns its path.
    public static func writeCheckpoint(_ model: Model) throws -> String {
        let run = MPIRunner.temporaryDirectory("export-run")
        let store = CheckpointStore(runDirectory: run, keep: 1)
        let params = Array(model.params)
        let zeros = [Float](repeating: 0, count: params.count)
        let header = JSON.obj(["format": .int(1), "next_step": .int(1), "model": model.config.toJSON(), "parameters": .int(params.count)])
        try params.withUnsafeBufferPointer { p in
            try zeros.withUnsafeBufferPointer { z in
                try store.save(step: 1, header: header, sections: [.init(name: "params", data: p), .init(name: "adam_m", data: z),
                                                                   .init(name: "adam_v", data: z)])
            }
        }
        return store.path(forStep: 1)
    }

    /// Runs tools/safetensors_reference.py with `args`; fails the caller with its stderr when it fails.
    public static func python(_ args: [String]) throws -> ProcessResult {
        let result = try ProcessRunner.run(["python3", MPIRunner.packageRoot + "/tools/safetensors_reference.py"] + args, timeout: 120)
        if result.status != 0 { throw DDError("safetensors_reference.py \(args.first ?? "") failed: \(result.stderr)") }
        return result
    }

    /// The numpy reference's logits [T, V] for `tokens` from the export folder `dir`.
    public static func referenceLogits(_ dir: String, tokens: [Int32], tool: String = "safetensors_reference.py") throws -> [Float] {
        let out = MPIRunner.temporaryDirectory("ref-logits") + "/logits.f32"
        let csv = tokens.map(String.init).joined(separator: ",")
        _ = try python(["logits", dir, "--tokens", csv, "--out", out])
        return try TrainerFixture.floats(out)
    }

    /// The model's own logits of one sequence starting at position 0.
    public static func logits(_ model: Model, _ tokens: [Int32]) throws -> [Float] {
        try model.logits(PackedBatch(sequences: [(tokens, [Int32](repeating: -1, count: tokens.count))]))
    }

    /// Largest absolute difference and largest absolute value of `b` (the scale a tolerance is relative to).
    public static func compare(_ a: [Float], _ b: [Float]) -> (diff: Float, scale: Float) {
        precondition(a.count == b.count)
        return (zip(a, b).map { abs($0 - $1) }.max() ?? 0, b.map(abs).max() ?? 0)
    }

    /// A prompt of `n` ids spread over the byte range.
    public static func prompt(_ n: Int, seed: UInt64 = 5) -> [Int32] {
        var rng = Xoshiro256(seed: seed)
        return (0..<n).map { _ in Int32(rng.nextInt(below: 257)) }
    }
}
