import Support
import Trainer
import Transformer

/// Loads an export folder (model.safetensors + config.json, as `ddtrain export` writes or as a Hugging Face
/// Llama folder in float32/float16/bfloat16 holds) into ddtrain's flat parameter layout for a given model config.
///
/// Every tensor the config's model needs must be present with exactly its shape; a tensor the model does not have
/// is an error too (it would be silently dropped otherwise), except HF's precomputed `rotary_emb.inv_freq` buffers.
/// The config.json fields that shapes cannot check (rope_theta, rms_norm_eps, hidden_act) are compared and a
/// difference is reported as a warning.
public enum ModelImport {
    /// The model file inside an export folder, or `path` itself when it names a .safetensors file.
    public static func modelFile(_ path: String) -> String {
        FileIO.isDirectory(path) ? path + "/model.safetensors" : path
    }

    /// Whether `path` names an export (a folder or a .safetensors file) rather than a ddtrain checkpoint.
    public static func isExport(_ path: String) -> Bool {
        FileIO.isDirectory(path) || path.hasSuffix(".safetensors")
    }

    /// The flat parameters of `config`'s model read from the export at `path`.
    public static func load(_ path: String, config: ModelConfig) throws -> [Float] {
        let file = modelFile(path)
        guard FileIO.exists(file) else {
            throw DDError.file(file, "not found", fix: "name a folder written by ddtrain export (it holds model.safetensors) or a .safetensors file")
        }
        let st = try SafetensorsFile(path: file)
        let layout = ParameterLayout(config: config)
        let names = ExportNaming.tensors(for: config)
        let (convention, reasons) = ExportConvention.of(config)
        let holdsLlama = st.entries["model.embed_tokens.weight"] != nil
        if convention == .ddtrain, holdsLlama {
            throw DDError.file(file, "holds a Llama model but the config's model is outside Llama (\(reasons.joined(separator: ", ")))",
                               fix: "set model.mlp \"swiglu\", model.norm \"rmsnorm\" and model.qk_norm false")
        }
        if convention == .llama, !holdsLlama, st.entries["embedding"] != nil {
            throw DDError.file(file, "holds a model in ddtrain's own names (exported from a GELU, LayerNorm or qk-norm model) but the config's model is Llama-compatible",
                               fix: "set model.mlp, model.norm and model.qk_norm as in the export's config.json (\"ddtrain\".\"model\")")
        }
        var params = [Float](repeating: 0, count: layout.count)
        for (info, name) in zip(layout.tensors, names) {
            guard let entry = st.entries[name.exportName] else {
                throw DDError.file(file, "has no tensor '\(name.exportName)' (shape \(info.shape)) that the config's model needs",
                                   fix: "export from a model of this config, or set the model section to match the export's config.json")
            }
            guard entry.shape == info.shape else {
                throw DDError.file(file, "tensor '\(name.exportName)' has shape \(entry.shape) but the config's model needs \(info.shape)",
                                   fix: "set the model section to match the export's config.json (dim, heads, layers, vocab, mlp)")
            }
            var data = try st.floats(name.exportName)
            if name.permutesRoPE { data = ExportNaming.halvesToInterleaved(data, heads: config.heads, headDim: config.headDim) }
            params.replaceSubrange(info.range, with: data)
        }
        let expected = Set(names.map(\.exportName))
        if let extra = st.entries.keys.sorted().first(where: { !expected.contains($0) && !$0.hasSuffix("rotary_emb.inv_freq") }) {
            throw DDError.file(file, "holds tensor '\(extra)' (shape \(st.entries[extra]!.shape)) that the config's model does not have",
                               fix: "match model.tied_embeddings, qk_norm, mlp and norm to the export (attention or MLP biases are not supported)")
        }
        try checkConfig(path, config)
        return params
    }

    /// Warns when config.json (if any) disagrees with `config` on what tensor shapes cannot show.
    static func checkConfig(_ path: String, _ config: ModelConfig) throws {
        guard FileIO.isDirectory(path), FileIO.exists(path + "/config.json") else { return }
        let json = try FileIO.readJSON(path + "/config.json")
        func differs(_ key: String, _ mine: Double) {
            if let theirs = json[key]?.doubleValue, abs(theirs - mine) > 1e-9 * max(1, abs(mine)) {
                Log.warn("\(path)/config.json: \(key) is \(theirs) but the training config uses \(mine); training continues with \(mine)")
            }
        }
        differs("rope_theta", config.ropeBase)
        if config.norm == .rmsnorm { differs("rms_norm_eps", config.normEps) }
        let act = config.mlp == .swiglu ? "silu" : "gelu_pytorch_tanh"
        if let theirs = json["hidden_act"]?.stringValue, theirs != act {
            Log.warn("\(path)/config.json: hidden_act is \"\(theirs)\" but the training config's MLP uses \(act)")
        }
    }
}

extension ModelImport {
    /// The trainer's `--init-from` hook: an export folder or .safetensors file is loaded, anything else is left to
    /// the trainer (a ddtrain checkpoint).
    public static let importer: ParameterImporter = { path, config in
        isExport(path) ? try load(path, config: config) : nil
    }
}
