import Foundation
import Testing
import TestSupport
import TrainerFixtures
@testable import Interop
@testable import Support
@testable import Trainer
@testable import Transformer

/// Coming back in: a Llama model written by the numpy tool (its own safetensors writer, HF layout) loads into
/// ddtrain and computes the reference's logits; exports round-trip exactly; mismatches fail with one clear line.
@Suite struct ExportImportTests {
    /// Writes a random HF-layout model with the tool and returns its folder.
    func pythonModel(dim: Int = 32, heads: Int = 4, hidden: Int = 256, tied: Bool = false, dtype: String = "F32",
                     ropeTheta: Double = 100, seed: Int = 1) throws -> String {
        let dir = MPIRunner.temporaryDirectory("import") + "/made"
        _ = try ExportFixture.python(["make", dir, "--layers", "2", "--dim", String(dim), "--heads", String(heads),
                                      "--kv-heads", String(heads), "--vocab", "257", "--hidden", String(hidden),
                                      "--seed", String(seed), "--rope-theta", String(ropeTheta), "--dtype", dtype]
                                     + (tied ? ["--tied"] : []))
        return dir
    }

    /// A model made elsewhere (float32, float16 or bfloat16) computes in ddtrain the logits the HF-convention
    /// reference computes from the same files.
    @Test(arguments: ["F32", "F16", "BF16"]) func pythonMadeModelMatchesTheReference(dtype: String) throws {
        let dir = try pythonModel(dtype: dtype, seed: dtype.count)
        let config = ExportFixture.config()
        let model = try Model(config: config, maxTokens: 64, seed: 0)
        let params = try ModelImport.load(dir, config: config)
        _ = params.withUnsafeBufferPointer { model.params.update(fromContentsOf: $0) }
        let tokens = ExportFixture.prompt(20, seed: 9)
        let (diff, scale) = ExportFixture.compare(try ExportFixture.logits(model, tokens), try ExportFixture.referenceLogits(dir, tokens: tokens))
        #expect(diff <= ExportFixture.tolerance * max(1, scale), "logits differ by \(diff) (scale \(scale))")
    }

    /// export → import restores every parameter bit for bit (the permutation is inverted exactly), in both conventions.
    @Test(arguments: [false, true]) func exportThenImportIsExact(llama: Bool) throws {
        var c = ExportFixture.config(tied: !llama)
        if !llama { c.mlp = .gelu; c.qkNorm = true }
        let model = try ExportFixture.randomModel(c, seed: 11)
        let out = MPIRunner.temporaryDirectory("roundtrip") + "/x"
        _ = try ModelExport.export(checkpoint: try ExportFixture.writeCheckpoint(model), to: out)
        #expect(try ModelImport.load(out, config: c) == Array(model.params))
        #expect(try ModelImport.load(out + "/model.safetensors", config: c) == Array(model.params))
    }

    /// A shape that differs from the config's model names the tensor and both shapes in one line.
    @Test func shapeMismatchNamesTheTensorAndBothShapes() throws {
        let dir = try pythonModel(hidden: 128)
        let error = try #require(throws: DDError.self) { try ModelImport.load(dir, config: ExportFixture.config()) }
        #expect(error.message.contains("'model.layers.0.mlp.gate_proj.weight' has shape [128, 32] but the config's model needs [256, 32]"))
        #expect(!error.message.contains("\n"))
        let wide = try pythonModel(dim: 64)
        let e2 = try #require(throws: DDError.self) { try ModelImport.load(wide, config: ExportFixture.config()) }
        #expect(e2.message.contains("'model.embed_tokens.weight' has shape [257, 64] but the config's model needs [257, 32]"))
    }

    /// Tied/untied disagreements: a tensor too many or one missing, each named.
    @Test func extraOrMissingTensorsAreNamed() throws {
        let untied = try pythonModel()
        let e1 = try #require(throws: DDError.self) { try ModelImport.load(untied, config: ExportFixture.config(tied: true)) }
        #expect(e1.message.contains("holds tensor 'lm_head.weight'"))
        let tied = try pythonModel(tied: true)
        let e2 = try #require(throws: DDError.self) { try ModelImport.load(tied, config: ExportFixture.config()) }
        #expect(e2.message.contains("has no tensor 'lm_head.weight'"))
        let e3 = try #require(throws: DDError.self) { try ModelImport.load(MPIRunner.temporaryDirectory("empty"), config: ExportFixture.config()) }
        #expect(e3.message.contains("model.safetensors: not found"))
        // A Llama export into a GELU model and a ddtrain-convention export into a Llama model: the mismatch is named.
        var gelu = ExportFixture.config()
        gelu.mlp = .gelu
        let e4 = try #require(throws: DDError.self) { try ModelImport.load(untied, config: gelu) }
        #expect(e4.message.contains("holds a Llama model but the config's model is outside Llama (mlp \"gelu\""))
        let out = MPIRunner.temporaryDirectory("import") + "/gelu"
        _ = try ModelExport.export(checkpoint: try ExportFixture.writeCheckpoint(try ExportFixture.randomModel(gelu, seed: 3)), to: out)
        let e5 = try #require(throws: DDError.self) { try ModelImport.load(out, config: ExportFixture.config()) }
        #expect(e5.message.contains("holds a model in ddtrain's own names"))
    }

    /// Malformed files: each gives one line naming the file and what is wrong, never a trap.
    @Test func malformedSafetensorsFailCleanly() throws {
        let dir = MPIRunner.temporaryDirectory("bad")
        var made = 0
        func file(_ header: String, data: Int, lengthField: Int? = nil) throws -> String {
            made += 1
            var h = Array(header.utf8)
            var bytes = [UInt8]()
            withUnsafeBytes(of: UInt64(lengthField ?? h.count).littleEndian) { bytes += $0 }
            bytes += h
            h = [UInt8](repeating: 0, count: data)
            bytes += h
            let path = dir + "/case\(made).safetensors"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }
        let cases: [(String, String)] = [
            (try file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: 4), "outside the data section"),
            (try file(#"{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, data: 8), "tensor 'a' has dtype \"I64\""),
            (try file(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: 8), "needs 12"),
            (try file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: 8), "hole or overlap"),
            (try file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: 8), "cover 4 data bytes but the data section has 8"),
            (try file(#"[1,2]"#, data: 0), "not an object"),
            (try file(#"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#, data: 8), "needs more than Int.max"),
            (try file(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#, data: 0), "not non-negative integers"),
            (try file(#"{}"#, data: 0, lengthField: 1 << 40), "does not fit the file"),
        ]
        for (path, expected) in cases {
            let error = try #require(throws: DDError.self) { _ = try SafetensorsFile(path: path) }
            #expect(error.message.hasPrefix(path) && error.message.contains(expected), "\(error.message)")
        }
    }
}
