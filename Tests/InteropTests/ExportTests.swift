import Foundation
import Testing
import TestSupport
import TrainerFixtures
@testable import Interop
@testable import Support
@testable import Trainer
@testable import Transformer

/// `ddtrain export`: the safetensors layout, the Llama names and config, and the logits an independent numpy
/// implementation of HF's Llama computes from the exported files alone.
@Suite struct ExportTests {
    /// Tolerance on logits (ExportFixture.tolerance).
    static let tolerance = ExportFixture.tolerance

    /// The export's logits, computed by the reference with HF's rotate-half RoPE, equal ddtrain's forward pass:
    /// this holds only if the q/k rows were permuted per head correctly (and every tensor got the right name).
    @Test(arguments: [false, true]) func llamaExportMatchesTheNumpyHFReference(tied: Bool) throws {
        let model = try ExportFixture.randomModel(ExportFixture.config(tied: tied), seed: tied ? 3 : 2)
        let checkpoint = try ExportFixture.writeCheckpoint(model)
        let out = MPIRunner.temporaryDirectory("export") + "/hf"
        let result = try ModelExport.export(checkpoint: checkpoint, to: out)
        #expect(result.convention == .llama)
        let tokens = ExportFixture.prompt(24)
        let ours = try ExportFixture.logits(model, tokens)
        let reference = try ExportFixture.referenceLogits(out, tokens: tokens)
        let (diff, scale) = ExportFixture.compare(ours, reference)
        #expect(diff <= Self.tolerance * max(1, scale), "logits differ by \(diff) (scale \(scale))")
        let names = Set(try SafetensorsFile(path: out + "/model.safetensors").entries.keys)
        #expect(names.contains("lm_head.weight") == !tied)
        #expect(names.contains("model.layers.1.self_attn.q_proj.weight") && names.contains("model.layers.0.mlp.down_proj.weight"))
    }

    /// The permutation itself, against the order written out by hand: within a head of width 8 HF row r holds
    /// ddtrain row [0, 2, 4, 6, 1, 3, 5, 7][r], and the inverse restores the original.
    @Test func ropePermutationMovesRowsToHalves() {
        let heads = 2, D = 8, cols = 3
        let w = (0..<(heads * D * cols)).map { Float($0) }
        let p = ExportNaming.interleavedToHalves(w, heads: heads, headDim: D)
        let order = [0, 2, 4, 6, 1, 3, 5, 7]
        for h in 0..<heads {
            for r in 0..<D {
                let src = h * D + order[r], dst = h * D + r
                #expect(Array(p[dst * cols..<(dst + 1) * cols]) == Array(w[src * cols..<(src + 1) * cols]))
            }
        }
        #expect(ExportNaming.halvesToInterleaved(p, heads: heads, headDim: D) == w)
    }

    /// Models outside Llama keep ddtrain's names, get model_type "ddtrain", and still compute the same logits in
    /// the independent reference (tools/reference_model.py, fed from the safetensors file).
    @Test func nonLlamaModelKeepsDdtrainNames() throws {
        var c = ExportFixture.config()
        c.mlp = .gelu; c.norm = .layernorm; c.qkNorm = true
        let model = try ExportFixture.randomModel(c, seed: 4)
        let out = MPIRunner.temporaryDirectory("export") + "/dd"
        let result = try ModelExport.export(checkpoint: try ExportFixture.writeCheckpoint(model), to: out)
        #expect(result.convention == .ddtrain)
        #expect(result.reasons.count == 3)
        let config = try FileIO.readJSON(out + "/config.json")
        #expect(config["model_type"]?.stringValue == "ddtrain")
        let names = Set(try SafetensorsFile(path: out + "/model.safetensors").entries.keys)
        #expect(names == Set(model.layout.tensors.map(\.name)))
        let tokens = ExportFixture.prompt(16)
        let (diff, scale) = ExportFixture.compare(try ExportFixture.logits(model, tokens), try ExportFixture.referenceLogits(out, tokens: tokens))
        #expect(diff <= Self.tolerance * max(1, scale), "logits differ by \(diff) (scale \(scale))")
    }

    /// The file follows the published layout byte for byte: 8-byte little-endian header length (a multiple of 8,
    /// padded with spaces), tensors sorted by name and laid end to end, "format": "pt" metadata, F32 values.
    @Test func safetensorsLayoutFollowsTheFormat() throws {
        let model = try ExportFixture.randomModel(ExportFixture.config(layers: 1), seed: 6)
        let out = MPIRunner.temporaryDirectory("export") + "/fmt"
        _ = try ModelExport.export(checkpoint: try ExportFixture.writeCheckpoint(model), to: out)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: out + "/model.safetensors")))
        let n = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(n % 8 == 0)
        let headerText = String(decoding: bytes[8..<8 + n], as: UTF8.self)
        let header = try JSONParser.parse(headerText.trimmingCharacters(in: .whitespaces))
        #expect(header["__metadata__"]?["format"]?.stringValue == "pt")
        let entries = (header.objectValue ?? []).filter { $0.0 != "__metadata__" }
        #expect(entries.map(\.0) == entries.map(\.0).sorted())
        var end = 0
        for (_, e) in entries {
            #expect(e["dtype"]?.stringValue == "F32")
            let offsets = e["data_offsets"]!.arrayValue!.map { $0.intValue! }
            #expect(offsets[0] == end)
            end = offsets[1]
        }
        #expect(8 + n + end == bytes.count)
        // The embedding's first row, read straight from the bytes, is the model's.
        let emb = header["model.embed_tokens.weight"]!["data_offsets"]!.arrayValue![0].intValue!
        let firstRow = (0..<model.config.dim).map { i -> Float in
            let o = 8 + n + emb + 4 * i
            return Float(bitPattern: UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24)
        }
        #expect(firstRow == Array(model.params[0..<model.config.dim]))
    }

    /// config.json carries LlamaConfig's fields with the model's values; the byte tokenizer is described.
    @Test func configAndTokenizerDescribeTheModel() throws {
        let c = ExportFixture.config(layers: 3, dim: 48, heads: 6)
        let model = try ExportFixture.randomModel(c, seed: 7)
        let out = MPIRunner.temporaryDirectory("export") + "/cfg"
        _ = try ModelExport.export(checkpoint: try ExportFixture.writeCheckpoint(model), to: out)
        let j = try FileIO.readJSON(out + "/config.json")
        #expect(j["architectures"] == .array([.string("LlamaForCausalLM")]))
        #expect(j["model_type"]?.stringValue == "llama" && j["hidden_act"]?.stringValue == "silu")
        #expect(j["hidden_size"]?.intValue == 48 && j["num_hidden_layers"]?.intValue == 3)
        #expect(j["num_attention_heads"]?.intValue == 6 && j["num_key_value_heads"]?.intValue == 6)
        #expect(j["intermediate_size"]?.intValue == 256 && j["vocab_size"]?.intValue == 257)
        #expect(j["rope_theta"]?.doubleValue == 100 && j["rms_norm_eps"]?.doubleValue == 1e-5)
        #expect(j["tie_word_embeddings"]?.boolValue == false && j["torch_dtype"]?.stringValue == "float32")
        #expect(j["attention_bias"]?.boolValue == false && j["mlp_bias"]?.boolValue == false)
        #expect(j["eos_token_id"]?.intValue == 256)
        let t = try FileIO.readJSON(out + "/ddtrain_tokenizer.json")
        #expect(t["name"]?.stringValue == "byte" && t["vocab_size"]?.intValue == 257 && t["eot"]?.intValue == 256)
    }
    /// A GPT-2 run: the tokenizer files are copied under the names HF's GPT2Tokenizer reads, byte for byte.
    @Test func gpt2TokenizerFilesAreCopied() throws {
        // Tied and narrow: the debug build hashes every checkpoint section, so the 50,257-row table is kept small.
        var c = ExportFixture.config(layers: 1, dim: 8, heads: 2, tied: true)
        c.vocab = 50_257
        let model = try Model(config: c, maxTokens: 4, seed: 1)
        let checkpoint = try ExportFixture.writeCheckpoint(model)
        let run = CheckpointContext.parent(CheckpointContext.parent(checkpoint))
        let assets = MPIRunner.packageRoot + "/assets/gpt2"
        let config = JSON.obj(["data": .obj(["dir": .string(run + "/no-data"), "tokenizer": .string("gpt2"), "tokenizer_dir": .string(assets)]),
                               "model": .obj(["layers": .int(1), "dim": .int(8), "heads": .int(2), "tied_embeddings": .bool(true)])])
        try AtomicFile.write(config.pretty, to: run + "/config.json")
        let out = MPIRunner.temporaryDirectory("export") + "/gpt2"
        let result = try ModelExport.export(checkpoint: checkpoint, to: out)
        #expect(result.files.contains("vocab.json") && result.files.contains("merges.txt"))
        #expect(try FileIO.readAll(out + "/vocab.json") == (try FileIO.readAll(assets + "/encoder.json")))
        #expect(try FileIO.readAll(out + "/merges.txt") == (try FileIO.readAll(assets + "/vocab.bpe")))
        #expect(try FileIO.readJSON(out + "/tokenizer_config.json")["tokenizer_class"]?.stringValue == "GPT2Tokenizer")
        let j = try FileIO.readJSON(out + "/config.json")
        #expect(j["eos_token_id"]?.intValue == 50_256 && j["vocab_size"]?.intValue == 50_257)
        // No manifest to read: the default longest bucket, 2^13.
        #expect(j["max_position_embeddings"]?.intValue == 8192)
    }
}
