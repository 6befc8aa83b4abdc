import Kernels

/// Every activation buffer of the model, carved once out of one allocation sized for `maxTokens`.
///
/// Kept for backward, per layer: the residual input x, q/k/v after RoPE (and before qk-norm when it is on), the
/// attention output, its log-sum-exp, the mid-layer residual h, the MLP's pre-activations and the norms' statistics.
/// Norm outputs and the MLP activation are recomputed in backward (O(T·C) work) instead of stored; attention keeps
/// only O(T) statistics. The lm_head runs over chunks of tokens so the [T, V] logits never exist at once.
struct ActivationArena {
    /// Per-layer activations kept from forward to backward.
    struct Layer {
        var x, q, k, v, att, h, gate, up: UnsafeMutablePointer<Float>
        var qRaw, kRaw: UnsafeMutablePointer<Float>?
        var mean1, rstd1, mean2, rstd2, lse: UnsafeMutablePointer<Float>
        var qRstd, kRstd: UnsafeMutablePointer<Float>?
    }

    let storage: UnsafeMutableBufferPointer<Float>
    var layers: [Layer] = []
    /// Residual stream after the last layer (input of the final norm), its normalised form and statistics.
    var xFinal, xnFinal, meanF, rstdF: UnsafeMutablePointer<Float>
    /// Scratch shared by all layers: a norm output and the MLP activation (forward and recomputed in backward).
    var xn, act: UnsafeMutablePointer<Float>
    /// Backward scratch: the residual gradient, a second [T,C] gradient, q/k/v gradients (and their pre-norm forms).
    var dRes, dTmp, dAtt, dq, dk, dv, dqRaw, dkRaw: UnsafeMutablePointer<Float>
    /// Backward scratch of the MLP.
    var dAct, dGate, dUp: UnsafeMutablePointer<Float>
    /// lm_head chunk: logits [chunk, V], turned into their gradient in place during backward.
    var logits: UnsafeMutablePointer<Float>
    /// Attention's O(T) workspace.
    var attentionWorkspace: UnsafeMutableBufferPointer<Float>
    /// Tokens per lm_head chunk.
    let headChunk: Int
    /// Total floats held.
    var floatCount: Int { storage.count }

    init(config c: ModelConfig, maxTokens: Int) {
        let T = max(1, maxTokens), C = c.dim, F = c.hidden, H = c.heads, L = c.layers, V = c.vocab
        // About 8 M floats (32 MiB) of logits per chunk: big enough for full-speed sgemm, small next to activations.
        headChunk = max(1, min(T, max(64, (8 << 20) / V)))
        let workspace = Attention.workspaceFloats(maxTokens: T, heads: H, headDim: c.headDim)
        let swiglu = c.mlp == .swiglu
        var sizes: [Int] = []
        for _ in 0..<L {
            sizes += [T * C, T * C, T * C, T * C, T * C, T * C, T * F, swiglu ? T * F : 0]  // x q k v att h gate up
            sizes += [c.qkNorm ? T * C : 0, c.qkNorm ? T * C : 0]                           // qRaw kRaw
            sizes += [T, T, T, T, T * H, c.qkNorm ? T * H : 0, c.qkNorm ? T * H : 0]       // stats, lse, qk rstd
        }
        sizes += [T * C, T * C, T, T, T * C, T * F]                                      // final, xn, act
        sizes += Array(repeating: T * C, count: 8)                                       // dRes … dkRaw
        sizes += [T * F, T * F, swiglu ? T * F : 0]                                      // dAct dGate dUp
        sizes += [headChunk * V, workspace]
        // Each buffer starts on a 64-byte boundary so SIMD loads and BLAS panels stay aligned.
        let padded = sizes.map { ($0 + 15) / 16 * 16 }
        storage = .allocate(capacity: padded.reduce(0, +))
        storage.initialize(repeating: 0)
        var cursor = storage.baseAddress!
        var index = 0
        func next() -> UnsafeMutablePointer<Float> {
            let p = cursor
            cursor += padded[index]
            index += 1
            return p
        }
        func optional(_ on: Bool) -> UnsafeMutablePointer<Float>? { let p = next(); return on ? p : nil }
        for _ in 0..<L {
            let x = next(), q = next(), k = next(), v = next(), att = next(), h = next(), gate = next(), up = next()
            let qRaw = optional(c.qkNorm), kRaw = optional(c.qkNorm)
            let mean1 = next(), rstd1 = next(), mean2 = next(), rstd2 = next(), lse = next()
            let qRstd = optional(c.qkNorm), kRstd = optional(c.qkNorm)
            layers.append(Layer(x: x, q: q, k: k, v: v, att: att, h: h, gate: gate, up: up, qRaw: qRaw, kRaw: kRaw,
                                mean1: mean1, rstd1: rstd1, mean2: mean2, rstd2: rstd2, lse: lse, qRstd: qRstd, kRstd: kRstd))
        }
        xFinal = next(); xnFinal = next(); meanF = next(); rstdF = next(); xn = next(); act = next()
        dRes = next(); dTmp = next(); dAtt = next(); dq = next(); dk = next(); dv = next(); dqRaw = next(); dkRaw = next()
        dAct = next(); dGate = next(); dUp = next()
        logits = next()
        attentionWorkspace = UnsafeMutableBufferPointer(start: next(), count: workspace)
    }

    /// Frees the allocation (the Model calls this from deinit).
    func release() { storage.deallocate() }
}
