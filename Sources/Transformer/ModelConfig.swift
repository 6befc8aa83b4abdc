import Support

/// The shape of the model (config section "model"); defaults follow docs/interfaces.md.
public struct ModelConfig: Equatable, Sendable {
    /// Which normalisation the pre-norm blocks and the final norm use.
    public enum Norm: String, Sendable { case rmsnorm, layernorm }
    /// Which feed-forward block each layer has.
    public enum MLP: String, Sendable { case swiglu, gelu }

    public var layers: Int = 6
    public var dim: Int = 384
    public var heads: Int = 6
    /// Vocabulary size; 0 means "not set yet" (the data manifest supplies it, see `parse(_:vocab:)`).
    public var vocab: Int = 0
    public var norm: Norm = .rmsnorm
    /// RMSNorm over each head's q and k (gain per head dimension, shared across heads).
    public var qkNorm: Bool = false
    public var ropeBase: Double = 10000
    public var mlp: MLP = .swiglu
    /// When true the lm_head reuses the embedding table.
    public var tiedEmbeddings: Bool = false
    public var normEps: Double = 1e-5
    public var initStd: Double = 0.02

    /// A configuration with the defaults and the given vocabulary.
    public init(vocab: Int = 0) { self.vocab = vocab }

    /// Width of one attention head.
    public var headDim: Int { dim / heads }

    /// MLP hidden width: SwiGLU 8/3·dim rounded up to a multiple of 256 (keeps the parameter count of a 4·dim
    /// GELU MLP while giving BLAS friendly shapes); GELU 4·dim.
    public var hidden: Int {
        switch mlp {
        case .gelu: return 4 * dim
        case .swiglu:
            let f = (8 * dim + 2) / 3
            return (f + 255) / 256 * 256
        }
    }

    /// Parses the "model" section. `vocab` (from the data manifest) is used when the section omits it; a value in
    /// the section must then agree with it.
    public static func parse(_ r: ConfigReader, vocab manifestVocab: Int? = nil) throws -> ModelConfig {
        var c = ModelConfig()
        c.layers = try r.int("layers", default: 6, min: 1, max: 1024)
        c.dim = try r.int("dim", default: 384, min: 2, max: 65536)
        c.heads = try r.int("heads", default: 6, min: 1, max: 4096)
        if let manifestVocab {
            c.vocab = try r.int("vocab", default: manifestVocab, min: 2, max: Int(Int32.max))
            if c.vocab != manifestVocab {
                throw DDError.config(r.keyPath("vocab"), "\(c.vocab) differs from the data manifest's vocabulary size \(manifestVocab)",
                                     fix: "remove \"vocab\" from the model section or set it to \(manifestVocab)")
            }
        } else {
            c.vocab = try r.int("vocab", min: 2, max: Int(Int32.max))
        }
        c.norm = Norm(rawValue: try r.choice("norm", ["rmsnorm", "layernorm"], default: "rmsnorm"))!
        c.qkNorm = try r.bool("qk_norm", default: false)
        c.ropeBase = try r.double("rope_base", default: 10000, min: 1.0000001)
        c.mlp = MLP(rawValue: try r.choice("mlp", ["swiglu", "gelu"], default: "swiglu"))!
        c.tiedEmbeddings = try r.bool("tied_embeddings", default: false)
        c.normEps = try r.double("norm_eps", default: 1e-5, min: 0, max: 1)
        c.initStd = try r.double("init_std", default: 0.02, min: 0, max: 10)
        try r.finish()
        try c.validate(path: r.path)
        return c
    }

    /// Checks the combination of values; errors name the key under `path` and the fix.
    public func validate(path: String = "model") throws {
        func key(_ k: String) -> String { path.isEmpty ? k : "\(path).\(k)" }
        if layers < 1 { throw DDError.config(key("layers"), "\(layers) layers", fix: "use at least 1 layer") }
        if heads < 1 { throw DDError.config(key("heads"), "\(heads) heads", fix: "use at least 1 head") }
        if dim % heads != 0 {
            throw DDError.config(key("heads"), "\(heads) heads do not divide dim \(dim)", fix: "pick heads that divide dim (e.g. dim/64)")
        }
        if headDim % 2 != 0 {
            throw DDError.config(key("heads"), "head width dim/heads = \(headDim) is odd; RoPE rotates pairs",
                                 fix: "choose dim and heads so that dim/heads is even")
        }
        if vocab < 2 { throw DDError.config(key("vocab"), "vocabulary size \(vocab) is missing or too small", fix: "set \"vocab\" or prepare data with a manifest") }
        if !(ropeBase > 1) { throw DDError.config(key("rope_base"), "\(ropeBase) must be above 1", fix: "use e.g. 10000") }
        if !(normEps >= 0) { throw DDError.config(key("norm_eps"), "\(normEps) is negative", fix: "use e.g. 1e-5") }
        if !(initStd >= 0) { throw DDError.config(key("init_std"), "\(initStd) is negative", fix: "use e.g. 0.02") }
    }

    /// The section as JSON, every key written (so a run folder records the resolved model).
    public func toJSON() -> JSON {
        .obj([
            "layers": .int(layers), "dim": .int(dim), "heads": .int(heads), "vocab": .int(vocab),
            "norm": .string(norm.rawValue), "qk_norm": .bool(qkNorm), "rope_base": .number(ropeBase),
            "mlp": .string(mlp.rawValue), "tied_embeddings": .bool(tiedEmbeddings),
            "norm_eps": .number(normEps), "init_std": .number(initStd),
        ])
    }
}
