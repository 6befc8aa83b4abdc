/// One named tensor inside the flat parameter buffer.
public struct TensorInfo: Equatable, Sendable {
    public let name: String
    /// First float of the tensor in the flat buffer.
    public let offset: Int
    public let count: Int
    /// Row-major shape; matrices are [out, in].
    public let shape: [Int]
    /// Whether weight decay applies (matrices); norms and the embedding are excluded.
    public let decays: Bool

    /// The tensor's floats as a range of the flat buffer.
    public var range: Range<Int> { offset..<(offset + count) }
}

/// Where every tensor lives in the one flat buffer of parameters (gradients, Adam m and v share it).
///
/// Order: embedding, layer 0 … layer L−1 (each contiguous), final norm, lm_head (absent when tied). Inside a
/// layer: attn_norm, [q_norm, k_norm], wq, wk, wv, wo, mlp_norm, then w_gate, w_up, w_down (SwiGLU) or
/// w_fc, w_proj (GELU). tools/reference_model.py uses the same names and order.
public struct ParameterLayout: Equatable, Sendable {
    public let tensors: [TensorInfo]
    /// Total floats.
    public let count: Int
    /// Range of the embedding table.
    public let embedding: Range<Int>
    /// Range of each layer's block of tensors.
    public let layerRanges: [Range<Int>]
    /// Range of final norm and lm_head together (the part of the buffer whose gradient is final first).
    public let head: Range<Int>
    /// Range of each layer's MLP block (mlp_norm up to the layer's end): backward finishes it before the layer's
    /// attention block.
    public let mlpRanges: [Range<Int>]
    /// Range of each layer's attention block (the layer's start up to mlp_norm).
    public let attentionRanges: [Range<Int>]

    /// The ranges in the order backward makes their gradients final, tiling the buffer from the top down: final
    /// norm and lm_head, then for layers L−1 … 0 the MLP block and the attention block, then the embedding.
    public var backwardRanges: [Range<Int>] {
        [head] + zip(mlpRanges, attentionRanges).reversed().flatMap { [$0, $1] } + [embedding]
    }

    /// The layout of `config`'s model.
    public init(config c: ModelConfig) {
        var list: [TensorInfo] = []
        var offset = 0
        func add(_ name: String, _ shape: [Int], _ decays: Bool) {
            let n = shape.reduce(1, *)
            list.append(TensorInfo(name: name, offset: offset, count: n, shape: shape, decays: decays))
            offset += n
        }
        let C = c.dim, F = c.hidden, D = c.headDim
        add("embedding", [c.vocab, C], false)
        embedding = 0..<offset
        var ranges: [Range<Int>] = [], mlps: [Range<Int>] = [], attentions: [Range<Int>] = []
        for i in 0..<c.layers {
            let start = offset
            let p = "layers.\(i)."
            add(p + "attn_norm", [C], false)
            if c.qkNorm { add(p + "q_norm", [D], false); add(p + "k_norm", [D], false) }
            for w in ["wq", "wk", "wv", "wo"] { add(p + w, [C, C], true) }
            let mlpStart = offset
            add(p + "mlp_norm", [C], false)
            switch c.mlp {
            case .swiglu:
                add(p + "w_gate", [F, C], true); add(p + "w_up", [F, C], true); add(p + "w_down", [C, F], true)
            case .gelu:
                add(p + "w_fc", [F, C], true); add(p + "w_proj", [C, F], true)
            }
            ranges.append(start..<offset)
            mlps.append(mlpStart..<offset)
            attentions.append(start..<mlpStart)
        }
        layerRanges = ranges
        mlpRanges = mlps
        attentionRanges = attentions
        let headStart = offset
        add("final_norm", [C], false)
        if !c.tiedEmbeddings { add("lm_head", [c.vocab, C], true) }
        head = headStart..<offset
        tensors = list
        count = offset
    }

    /// The tensor called `name`, if any.
    public func tensor(_ name: String) -> TensorInfo? { tensors.first { $0.name == name } }
}
