import Kernels

/// Every activation buffer of the model, carved once out of one allocation sized for `maxTokens`.
///
/// Kept for backward, per layer: the residual input x, q|k|v after RoPE (and before qk-norm when it is on), the
/// attention output, its log-sum-exp, the mid-layer residual h, the MLP's pre-activations and the norms' statistics.
/// q, k and v share one [T, 3C] buffer (row t = q_t | k_t | v_t), the output of one sgemm against the stacked
/// [wq; wk; wv] weight; attention reads them with row stride 3C. Likewise SwiGLU's two pre-activations share one [T, 2F] buffer (row t = gate_t | up_t), the output of one sgemm against
/// the stacked [w_gate; w_up] weight (adjacent in the flat layout).
/// Norm outputs and the MLP activation are recomputed in backward (O(T·C) work) instead of stored; attention keeps
/// only O(T) statistics. The lm_head runs over chunks of tokens so the [T, V] logits never exist at once.
struct ActivationArena {
    /// Per-layer activations kept from forward to backward.
    struct Layer {
        /// qkv: [T, 3C] q | k | v (q and k rotated, and normalised with qk-norm); mlpIn: the MLP's
        /// pre-activations, [T, 2F] gate | up (SwiGLU) or [T, F] (GELU).
        var x, qkv, att, h, mlpIn: UnsafeMutablePointer<Float>
        /// qk-norm only: the projection's raw [T, 3C] output (its v columns are the v attention reads).
        var qkvRaw: UnsafeMutablePointer<Float>?
        var mean1, rstd1, mean2, rstd2, lse: UnsafeMutablePointer<Float>
        var qRstd, kRstd: UnsafeMutablePointer<Float>?
    }

    let storage: UnsafeMutableBufferPointer<Float>
    var layers: [Layer] = []
    /// Residual stream after the last layer (input of the final norm), its normalised form and statistics.
    var xFinal, xnFinal, meanF, rstdF: UnsafeMutablePointer<Float>
    /// Scratch shared by all layers: a norm output and the MLP activation (forward and recomputed in backward).
    var xn, act: UnsafeMutablePointer<Float>
    /// Backward scratch: the residual gradient, two more [T, C] gradients, and the [T, 3C] q|k|v gradient (with
    /// qk-norm, dqkv holds the gradient after the norm for q and k, dqkvRaw the projection's output gradient).
    var dRes, dTmp, dAtt, dqkv: UnsafeMutablePointer<Float>
    var dqkvRaw: UnsafeMutablePointer<Float>?
    /// Backward scratch of the MLP: d(activation) [T, F] and d(pre-activations), shaped like `Layer.mlpIn`.
    var dAct, dMlpIn: UnsafeMutablePointer<Float>
    /// lm_head chunk: logits [chunk, V], turned into their gradient in place during backward.
    var logits: UnsafeMutablePointer<Float>
    /// Attention's O(T) workspace.
    var attentionWorkspace: UnsafeMutableBufferPointer<Float>
    /// Tokens per lm_head chunk.
    let headChunk: Int
    /// Total floats held.
    var floatCount: Int { storage.count }

    /// Sized for `maxTokens` and, for attention's per-worker workspaces, a pool of `workers` threads.
    init(config c: ModelConfig, maxTokens: Int, workers: Int = 1) {
        let T = max(1, maxTokens), C = c.dim, F = c.hidden, H = c.heads, L = c.layers, V = c.vocab
        // At least 8 M floats (32 MiB) of logits per chunk, and at least 512 tokens: every chunk's three sgemms stream
        // (and pack) the whole [V, C] weight, so a large vocabulary needs tall chunks. Measured for GPT-2 (V 50257,
        // C 768, one thread): lm_head forward+backward at 0.86 of sgemm with 166-token chunks, 0.96 with 512.
        headChunk = max(1, min(T, max(512, (8 << 20) / V)))
        let workspace = Attention.workspaceFloats(maxTokens: T, heads: H, headDim: c.headDim, workers: workers)
        let mlpIn = T * F * (c.mlp == .swiglu ? 2 : 1)
        var sizes: [Int] = []
        for _ in 0..<L {
            sizes += [T * C, 3 * T * C, T * C, T * C, mlpIn]                             // x qkv att h mlpIn
            sizes += [c.qkNorm ? 3 * T * C : 0]                                              // qkvRaw
            sizes += [T, T, T, T, T * H, c.qkNorm ? T * H : 0, c.qkNorm ? T * H : 0]       // stats, lse, qk rstd
        }
        sizes += [T * C, T * C, T, T, T * C, T * F]                                      // final, xn, act
        sizes += [T * C, T * C, T * C, 3 * T * C, c.qkNorm ? 3 * T * C : 0]              // dRes … dqkvRaw
        sizes += [T * F, mlpIn]                                                          // dAct dMlpIn
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
            let x = next(), qkv = next(), att = next(), h = next(), mlpIn = next()
            let qkvRaw = optional(c.qkNorm)
            let mean1 = next(), rstd1 = next(), mean2 = next(), rstd2 = next(), lse = next()
            let qRstd = optional(c.qkNorm), kRstd = optional(c.qkNorm)
            layers.append(Layer(x: x, qkv: qkv, att: att, h: h, mlpIn: mlpIn, qkvRaw: qkvRaw,
                                mean1: mean1, rstd1: rstd1, mean2: mean2, rstd2: rstd2, lse: lse, qRstd: qRstd, kRstd: kRstd))
        }
        xFinal = next(); xnFinal = next(); meanF = next(); rstdF = next(); xn = next(); act = next()
        dRes = next(); dTmp = next(); dAtt = next(); dqkv = next(); dqkvRaw = optional(c.qkNorm)
        dAct = next(); dMlpIn = next()
        logits = next()
        attentionWorkspace = UnsafeMutableBufferPointer(start: next(), count: workspace)
    }

    /// Frees the allocation (the Model calls this from deinit).
    func release() { storage.deallocate() }
}
