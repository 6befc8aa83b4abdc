/// Offsets of each tensor in the flat buffer, resolved once so the hot path does no name lookups.
struct Offsets {
    /// One layer's tensors. For the GELU MLP `wGate` is w_fc and `wDown` is w_proj; `wUp`, `qNorm`, `kNorm` are -1
    /// when absent.
    struct Layer {
        var attnNorm = -1, qNorm = -1, kNorm = -1, wq = -1, wk = -1, wv = -1, wo = -1
        var mlpNorm = -1, wGate = -1, wUp = -1, wDown = -1
    }

    var layers: [Layer] = []
    var embedding = 0
    var finalNorm = 0
    /// The output projection: lm_head, or the embedding table when tied.
    var lmHead = 0

    init(layout: ParameterLayout, config: ModelConfig) {
        for i in 0..<config.layers {
            var l = Layer()
            let p = "layers.\(i)."
            for t in layout.tensors where t.name.hasPrefix(p) {
                switch t.name.dropFirst(p.count) {
                case "attn_norm": l.attnNorm = t.offset
                case "q_norm": l.qNorm = t.offset
                case "k_norm": l.kNorm = t.offset
                case "wq": l.wq = t.offset
                case "wk": l.wk = t.offset
                case "wv": l.wv = t.offset
                case "wo": l.wo = t.offset
                case "mlp_norm": l.mlpNorm = t.offset
                case "w_gate", "w_fc": l.wGate = t.offset
                case "w_up": l.wUp = t.offset
                case "w_down", "w_proj": l.wDown = t.offset
                default: break
                }
            }
            // The fused projections read wq|wk|wv as one [3C, C] weight and w_gate|w_up as one [2F, C] weight.
            let C = config.dim, F = config.hidden
            precondition(l.wk == l.wq + C * C && l.wv == l.wk + C * C, "layout: wq, wk, wv must be adjacent")
            precondition(config.mlp != .swiglu || l.wUp == l.wGate + F * C, "layout: w_gate, w_up must be adjacent")
            layers.append(l)
        }
        embedding = layout.embedding.lowerBound
        finalNorm = layout.head.lowerBound
        lmHead = layout.tensor("lm_head")?.offset ?? embedding
    }
}
