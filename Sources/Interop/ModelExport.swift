import Corpus
import Support
import Trainer
import Transformer

/// `ddtrain export`: a checkpoint's parameters as a Hugging Face style folder.
///
///     model.safetensors      F32 tensors, HF Llama names (q/k rows permuted for HF's RoPE, see ExportNaming),
///                            or ddtrain's own names for models outside Llama
///     config.json            LlamaConfig fields (or model_type "ddtrain" with the full ddtrain model section)
///     ddtrain_tokenizer.json the tokenizer: name, vocabulary size, end-of-text id and what the ids mean
///     vocab.json, merges.txt, tokenizer_config.json   GPT-2's files (gpt2 tokenizer only, when found)
///     tokenizer.json, tokenizer_config.json   the byte-level tokenizer for Hugging Face (byte tokenizer only)
public enum ModelExport {
    /// What an export wrote.
    public struct Result {
        public let convention: ExportConvention
        /// Why the model is not exported as Llama (empty when it is).
        public let reasons: [String]
        /// Files written, relative to the output folder.
        public let files: [String]
        public let tensors: Int
        public let parameters: Int
    }

    /// Exports the checkpoint at `checkpoint` into the folder `directory` (created when missing).
    public static func export(checkpoint: String, to directory: String) throws -> Result {
        let context = try CheckpointContext(checkpoint: checkpoint)
        let checkpoint = context.path
        let ckpt = try CheckpointFile.read(path: checkpoint)
        let count = ParameterLayout(config: context.modelConfig).count
        guard let params = ckpt.sections["params"], params.count == count else {
            throw DDError.file(checkpoint, "has no parameter section of \(count) floats for its model", fix: "use another checkpoint")
        }
        var tokenizer: (info: TokenizerInfo, directory: String)? = nil
        do { tokenizer = try context.tokenizer() } catch let e as DDError { Log.warn("no tokenizer description exported: \(e.message)") }
        return try write(params: params, config: context.modelConfig, to: directory, tokenizer: tokenizer,
                         maxPositions: context.longestTrainedLength, source: checkpoint)
    }

    /// Writes the export of `params` (ddtrain's flat layout for `config`) into `directory`.
    public static func write(params: [Float], config: ModelConfig, to directory: String,
                             tokenizer: (info: TokenizerInfo, directory: String)?, maxPositions: Int, source: String) throws -> Result {
        let (convention, reasons) = ExportConvention.of(config)
        if convention == .ddtrain {
            Log.warn("this model is outside the Hugging Face Llama architecture (\(reasons.joined(separator: ", "))): "
                     + "exporting ddtrain's own tensor names and a config.json with model_type \"ddtrain\"")
        }
        try FileIO.makeDirectories(directory)
        let layout = ParameterLayout(config: config)
        var tensors: [SafetensorsFile.Tensor] = []
        for (info, name) in zip(layout.tensors, ExportNaming.tensors(for: config)) {
            var data = Array(params[info.range])
            if name.permutesRoPE { data = ExportNaming.interleavedToHalves(data, heads: config.heads, headDim: config.headDim) }
            tensors.append(.init(name: name.exportName, shape: info.shape, data: data))
        }
        try SafetensorsFile.write(path: directory + "/model.safetensors", tensors: tensors,
                                  metadata: [("format", "pt"), ("ddtrain_convention", convention.rawValue)])
        var files = ["model.safetensors", "config.json"]
        let eot = tokenizer.map { Int($0.info.endOfText) }
        try AtomicFile.write(configJSON(config, convention: convention, reasons: reasons, eot: eot,
                                        maxPositions: maxPositions, source: source).pretty, to: directory + "/config.json")
        if let tokenizer { files += try writeTokenizer(tokenizer, to: directory) }
        return Result(convention: convention, reasons: reasons, files: files, tensors: tensors.count, parameters: layout.count)
    }

    /// config.json: LlamaConfig's fields for a Llama-compatible model; otherwise model_type "ddtrain".
    /// Both carry the ddtrain model section under "ddtrain" so the folder can come back exactly.
    static func configJSON(_ c: ModelConfig, convention: ExportConvention, reasons: [String], eot: Int?,
                           maxPositions: Int, source: String) -> JSON {
        let ddtrain = JSON.obj([
            "model": c.toJSON(), "convention": .string(convention.rawValue), "source_checkpoint": .string(source),
            "rope_pairing": .string(convention == .llama
                ? "ddtrain rotates pairs (2i, 2i+1) of each head; q_proj and k_proj rows were permuted per head (row 2i+s -> s*D/2+i) so HF's rotate_half gives the same model"
                : "pairs (2i, 2i+1) of each head, ddtrain's own layout (no permutation)"),
            "outside_llama": .array(reasons.map { .string($0) }),
        ])
        let shared: [(String, JSON)] = [
            ("hidden_size", .int(c.dim)), ("intermediate_size", .int(c.hidden)), ("num_hidden_layers", .int(c.layers)),
            ("num_attention_heads", .int(c.heads)), ("num_key_value_heads", .int(c.heads)), ("head_dim", .int(c.headDim)),
            ("vocab_size", .int(c.vocab)), ("rope_theta", .number(c.ropeBase)), ("rms_norm_eps", .number(c.normEps)),
            ("max_position_embeddings", .int(maxPositions)), ("tie_word_embeddings", .bool(c.tiedEmbeddings)),
            ("torch_dtype", .string("float32")), ("attention_bias", .bool(false)), ("mlp_bias", .bool(false)),
            ("initializer_range", .number(c.initStd)),
            ("bos_token_id", eot.map { .int($0) } ?? .null), ("eos_token_id", eot.map { .int($0) } ?? .null),
        ]
        switch convention {
        case .llama:
            return .object([("architectures", .array([.string("LlamaForCausalLM")])), ("model_type", .string("llama"))] + shared
                + [("hidden_act", .string("silu")), ("attention_dropout", .number(0)), ("pretraining_tp", .int(1)),
                   ("rope_scaling", .null), ("use_cache", .bool(true)), ("ddtrain", ddtrain)])
        case .ddtrain:
            let act = c.mlp == .swiglu ? "silu" : "gelu_pytorch_tanh"
            return .object([("architectures", .array([.string("DDTrainForCausalLM")])), ("model_type", .string("ddtrain"))] + shared
                + [("hidden_act", .string(act)), ("mlp", .string(c.mlp.rawValue)), ("norm", .string(c.norm.rawValue)),
                   ("qk_norm", .bool(c.qkNorm)), ("ddtrain", ddtrain)])
        }
    }

    /// ddtrain_tokenizer.json always; GPT-2's vocabulary and merges as HF's GPT2Tokenizer names them when present;
    /// for the byte tokenizer, a tokenizer.json that AutoTokenizer loads.
    static func writeTokenizer(_ t: (info: TokenizerInfo, directory: String), to directory: String) throws -> [String] {
        let meaning = t.info.name == "byte"
            ? "id b in 0..255 is the UTF-8 byte b; id 256 is end-of-text; no BOS (documents end with end-of-text)"
            : "GPT-2 byte-level BPE (vocab.json = encoder.json, merges.txt = vocab.bpe); id 50256 is <|endoftext|>"
        let description = JSON.obj([
            "name": .string(t.info.name), "vocab_size": .int(t.info.vocabularySize), "eot": .int(Int(t.info.endOfText)),
            "description": .string(meaning),
        ])
        try AtomicFile.write(description.pretty, to: directory + "/ddtrain_tokenizer.json")
        var files = ["ddtrain_tokenizer.json"]
        if t.info.name == "byte" { return files + (try ByteTokenizerExport.write(endOfTextId: Int(t.info.endOfText), to: directory)) }
        guard t.info.name == "gpt2" else { return files }
        let encoder = t.directory + "/encoder.json", merges = t.directory + "/vocab.bpe"
        guard FileIO.exists(encoder), FileIO.exists(merges) else {
            Log.warn("GPT-2 tokenizer files not found in \(t.directory) (encoder.json, vocab.bpe): only ddtrain_tokenizer.json written")
            return files
        }
        try AtomicFile.write(try FileIO.readAll(encoder), to: directory + "/vocab.json")
        try AtomicFile.write(try FileIO.readAll(merges), to: directory + "/merges.txt")
        let config = JSON.obj([
            "tokenizer_class": .string("GPT2Tokenizer"), "bos_token": .string("<|endoftext|>"),
            "eos_token": .string("<|endoftext|>"), "unk_token": .string("<|endoftext|>"), "add_prefix_space": .bool(false),
        ])
        try AtomicFile.write(config.pretty, to: directory + "/tokenizer_config.json")
        files += ["vocab.json", "merges.txt", "tokenizer_config.json"]
        return files
    }
}
