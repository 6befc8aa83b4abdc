import Support
import Transformer

/// How ddtrain's parameter tensors are named and arranged in an export, and the RoPE row permutation.
///
/// A model whose options are all within Hugging Face's Llama (RMSNorm, SwiGLU, no qk-norm) is written in the
/// Llama convention: HF names, and the q and k projection rows permuted per head. ddtrain's RoPE rotates the
/// interleaved pairs (2i, 2i+1) of a head; HF's `LlamaRotaryEmbedding`/`rotate_half` rotates the pairs
/// (i, i + D/2), both by the angle pos·base^(−2i/D). Storing ddtrain row 2i + s of every head at HF row
/// s·D/2 + i (s ∈ {0, 1}) makes HF rotate exactly the values ddtrain rotates; the attention scores are dot
/// products over a head's D values, unchanged when q and k share one permutation, and v and o are untouched.
/// (This is the inverse of the `permute` in HF's convert_llama_weights_to_hf.py, which turns Meta's interleaved
/// checkpoints into HF's layout.) Other models keep ddtrain's own names and layout ("ddtrain" convention).
public enum ExportConvention: String, Sendable {
    case llama, ddtrain

    /// The convention for `config`, and why a model falls outside Llama (empty for Llama).
    public static func of(_ config: ModelConfig) -> (ExportConvention, reasons: [String]) {
        var reasons: [String] = []
        if config.mlp != .swiglu { reasons.append("mlp \"\(config.mlp.rawValue)\" (Llama has SwiGLU)") }
        if config.norm != .rmsnorm { reasons.append("norm \"\(config.norm.rawValue)\" (Llama has RMSNorm)") }
        if config.qkNorm { reasons.append("qk_norm (Llama has none)") }
        return (reasons.isEmpty ? .llama : .ddtrain, reasons)
    }
}

/// One parameter tensor as it appears in an export.
public struct ExportTensorName: Equatable, Sendable {
    /// ddtrain's name (ParameterLayout).
    public let internalName: String
    /// The name in model.safetensors.
    public let exportName: String
    /// Whether the rows go through the RoPE permutation (Llama q_proj and k_proj).
    public let permutesRoPE: Bool
}

/// The mapping between ddtrain's parameter layout and an export's tensors.
public enum ExportNaming {
    /// Every tensor of `config`'s model with its export name, in ddtrain's layout order.
    public static func tensors(for config: ModelConfig) -> [ExportTensorName] {
        let convention = ExportConvention.of(config).0
        return ParameterLayout(config: config).tensors.map { t in
            guard convention == .llama else { return ExportTensorName(internalName: t.name, exportName: t.name, permutesRoPE: false) }
            let (name, permutes) = llamaName(t.name)
            return ExportTensorName(internalName: t.name, exportName: name, permutesRoPE: permutes)
        }
    }

    /// The HF Llama name of a ddtrain tensor of a Llama-compatible model, and whether its rows are permuted.
    static func llamaName(_ name: String) -> (String, Bool) {
        switch name {
        case "embedding": return ("model.embed_tokens.weight", false)
        case "final_norm": return ("model.norm.weight", false)
        case "lm_head": return ("lm_head.weight", false)
        default: break
        }
        // "layers.N.suffix"
        let parts = name.split(separator: ".", maxSplits: 2).map(String.init)
        let prefix = "model.layers.\(parts[1])."
        switch parts[2] {
        case "attn_norm": return (prefix + "input_layernorm.weight", false)
        case "mlp_norm": return (prefix + "post_attention_layernorm.weight", false)
        case "wq": return (prefix + "self_attn.q_proj.weight", true)
        case "wk": return (prefix + "self_attn.k_proj.weight", true)
        case "wv": return (prefix + "self_attn.v_proj.weight", false)
        case "wo": return (prefix + "self_attn.o_proj.weight", false)
        case "w_gate": return (prefix + "mlp.gate_proj.weight", false)
        case "w_up": return (prefix + "mlp.up_proj.weight", false)
        case "w_down": return (prefix + "mlp.down_proj.weight", false)
        default: return (name, false) // not a Llama tensor: kept under its own name rather than mislabelled
        }
    }

    /// Rows of a [heads·D, in] projection from ddtrain's interleaved RoPE order to HF's half-split order.
    public static func interleavedToHalves(_ w: [Float], heads: Int, headDim: Int) -> [Float] {
        permuteRows(w, heads: heads, headDim: headDim, toHalves: true)
    }

    /// The inverse of `interleavedToHalves` (an HF q_proj/k_proj back into ddtrain's order).
    public static func halvesToInterleaved(_ w: [Float], heads: Int, headDim: Int) -> [Float] {
        permuteRows(w, heads: heads, headDim: headDim, toHalves: false)
    }

    /// Moves ddtrain row 2i+s of each head to HF row s·D/2+i (or back).
    private static func permuteRows(_ w: [Float], heads: Int, headDim D: Int, toHalves: Bool) -> [Float] {
        let cols = w.count / (heads * D)
        var out = [Float](repeating: 0, count: w.count)
        for h in 0..<heads {
            for i in 0..<(D / 2) {
                for s in 0..<2 {
                    let interleaved = h * D + 2 * i + s, halves = h * D + s * (D / 2) + i
                    let (from, to) = toHalves ? (interleaved, halves) : (halves, interleaved)
                    for c in 0..<cols { out[to * cols + c] = w[from * cols + c] }
                }
            }
        }
        return out
    }
}
