import Support
import Testing
@testable import Transformer

@Suite struct ModelConfigTests {
    @Test func defaultsAndHiddenWidths() throws {
        let c = try ModelConfig.parse(ConfigReader(JSONParser.parse(#"{"vocab": 257}"#), path: "model"))
        #expect(c.layers == 6 && c.dim == 384 && c.heads == 6 && c.vocab == 257)
        #expect(c.norm == .rmsnorm && c.mlp == .swiglu && !c.qkNorm && !c.tiedEmbeddings)
        #expect(c.ropeBase == 10000 && c.normEps == 1e-5 && c.initStd == 0.02)
        // 8/3·384 = 1024 exactly; 8/3·768 = 2048; 8/3·32 = 85.3 → 256; 8/3·1000 = 2666.7 → 2816; gelu 4·dim.
        #expect(c.hidden == 1024)
        var d = c
        d.dim = 768; #expect(d.hidden == 2048)
        d.dim = 32; #expect(d.hidden == 256)
        d.dim = 1000; #expect(d.hidden == 2816)
        d.mlp = .gelu; #expect(d.hidden == 4000)
    }

    @Test func jsonRoundTrip() throws {
        var c = tinyConfig(norm: .layernorm, mlp: .gelu, qkNorm: true, tied: true)
        c.ropeBase = 500000
        let back = try ModelConfig.parse(ConfigReader(c.toJSON(), path: "model"))
        #expect(back == c)
    }

    @Test func manifestVocabulary() throws {
        let c = try ModelConfig.parse(ConfigReader(JSONParser.parse(#"{"dim": 64, "heads": 2}"#), path: "model"), vocab: 50257)
        #expect(c.vocab == 50257)
        #expect(throws: DDError.self) {
            try ModelConfig.parse(ConfigReader(JSONParser.parse(#"{"vocab": 100}"#), path: "model"), vocab: 257)
        }
    }

    @Test(arguments: [
        (#"{"vocab": 10, "dim": 30, "heads": 4}"#, "model.heads"),
        (#"{"vocab": 10, "dim": 30, "heads": 10}"#, "model.heads"),
        (#"{"dim": 32}"#, "model.vocab"),
        (#"{"vocab": 10, "norm": "batchnorm"}"#, "model.norm"),
        (#"{"vocab": 10, "mlp": "relu"}"#, "model.mlp"),
        (#"{"vocab": 10, "layer": 3}"#, "model.layer"),
        (#"{"vocab": 10, "rope_base": 1}"#, "model.rope_base"),
        (#"{"vocab": 10, "qk_norm": "yes"}"#, "model.qk_norm"),
    ])
    func badInputNamesTheKey(json: String, key: String) throws {
        do {
            _ = try ModelConfig.parse(ConfigReader(JSONParser.parse(json), path: "model"))
            Issue.record("accepted \(json)")
        } catch let e as DDError {
            #expect(e.message.contains(key), "\(e.message)")
            #expect(e.message.contains("fix"), "\(e.message)")
            #expect(!e.message.contains("\n"))
        }
    }

    @Test func layoutOrderAndSizes() {
        let c = tinyConfig(layers: 2, dim: 16, heads: 2, vocab: 11, qkNorm: true)
        let l = ParameterLayout(config: c)
        let names = l.tensors.map(\.name)
        #expect(names.prefix(4) == ["embedding", "layers.0.attn_norm", "layers.0.q_norm", "layers.0.k_norm"])
        #expect(names.last == "lm_head")
        // Hand count: emb 11·16, per layer 16 + 8 + 8 + 4·256 + 16 + 3·16·256, final 16, head 11·16.
        let perLayer = 16 + 8 + 8 + 4 * 256 + 16 + 3 * 16 * 256
        #expect(l.count == 176 + 2 * perLayer + 16 + 176)
        #expect(l.layerRanges == [176..<(176 + perLayer), (176 + perLayer)..<(176 + 2 * perLayer)])
        #expect(l.head == (176 + 2 * perLayer)..<l.count)
        // Contiguous, non-overlapping, in order.
        var next = 0
        for t in l.tensors { #expect(t.offset == next); next += t.count }
        #expect(l.tensors.filter(\.decays).allSatisfy { $0.shape.count == 2 && $0.name != "embedding" })
        let tied = ParameterLayout(config: tinyConfig(tied: true))
        #expect(tied.tensor("lm_head") == nil && tied.head.count == 16)
    }
}
