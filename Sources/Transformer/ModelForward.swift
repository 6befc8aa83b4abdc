import Kernels

// Forward pass: embedding, layers, final norm, and the lm_head run chunk by chunk.
extension Model {
    /// Pointer to the parameters at `offset`.
    @inline(__always) func p(_ offset: Int) -> UnsafeMutablePointer<Float> { params.baseAddress! + offset }
    /// Pointer to the gradients at `offset`.
    @inline(__always) func g(_ offset: Int) -> UnsafeMutablePointer<Float> { grads.baseAddress! + offset }

    /// The configured norm (RMSNorm or gain-only LayerNorm) over `tokens` rows of width dim.
    func normForward(x: UnsafePointer<Float>, gain: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                     mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>, tokens: Int) {
        let eps = Float(config.normEps)
        switch config.norm {
        case .rmsnorm: RMSNorm.forward(x: x, gain: gain, y: y, rstd: rstd, tokens: tokens, width: config.dim, eps: eps, pool: pool)
        case .layernorm:
            LayerNorm.forward(x: x, gain: gain, y: y, mean: mean, rstd: rstd, tokens: tokens, width: config.dim, eps: eps, pool: pool)
        }
    }

    /// Fills the arena from the loaded batch up to the final norm's output.
    func forward(tokens T: Int) throws {
        try Embedding.forward(ids: ids.baseAddress!, table: p(offsets.embedding), out: arena.layers[0].x,
                              tokens: T, vocab: config.vocab, width: config.dim, pool: pool)
        for l in 0..<config.layers { try layerForward(l, tokens: T) }
        normForward(x: arena.xFinal, gain: p(offsets.finalNorm), y: arena.xnFinal, mean: arena.meanF, rstd: arena.rstdF, tokens: T)
    }

    /// One pre-norm block: h = x + Wo·attn(n1(x)); out = h + mlp(n2(h)).
    func layerForward(_ l: Int, tokens T: Int) throws {
        let a = arena.layers[l], o = offsets.layers[l], w = linears.layers[l]
        let C = config.dim, F = config.hidden, H = config.heads, D = config.headDim
        let out = l + 1 < config.layers ? arena.layers[l + 1].x : arena.xFinal
        let xn = arena.xn
        normForward(x: a.x, gain: p(o.attnNorm), y: xn, mean: a.mean1, rstd: a.rstd1, tokens: T)
        // wq, wk, wv are adjacent [C, C] blocks, i.e. one [3C, C] weight giving q | k | v per row.
        let C3 = 3 * C
        linearForward(w.qkv, x: xn, y: a.qkvRaw ?? a.qkv, tokens: T)
        var v = UnsafePointer(a.qkv + 2 * C)
        if let raw = a.qkvRaw, let qRstd = a.qRstd, let kRstd = a.kRstd {
            // qk-norm: each head's D values are one row; a token's H heads are contiguous, so one call per token.
            let eps = Float(config.normEps)
            pool.ranges(count: T) { rows in for t in rows {
                RMSNorm.forward(x: raw + t * C3, gain: p(o.qNorm), y: a.qkv + t * C3, rstd: qRstd + t * H, tokens: H, width: D, eps: eps)
                RMSNorm.forward(x: raw + t * C3 + C, gain: p(o.kNorm), y: a.qkv + t * C3 + C, rstd: kRstd + t * H, tokens: H,
                                width: D, eps: eps)
            } }
            v = UnsafePointer(raw + 2 * C)
        }
        let base = Float(config.ropeBase)
        RoPE.forward(x: a.qkv, positions: positions.baseAddress!, tokens: T, heads: H, headDim: D, base: base, table: ropeTable,
                     rowStride: C3, pool: pool)
        RoPE.forward(x: a.qkv + C, positions: positions.baseAddress!, tokens: T, heads: H, headDim: D, base: base, table: ropeTable,
                     rowStride: C3, pool: pool)
        try Attention.forward(q: a.qkv, k: a.qkv + C, v: v, out: a.att, lse: a.lse, segmentStarts: segmentStarts, heads: H,
                              headDim: D, scale: 1 / Float(D).squareRoot(), workspace: arena.attentionWorkspace, qkvStride: C3,
                              precision: precision, pool: pool)
        Vector.copy(from: a.x, to: a.h, count: T * C, pool: pool)
        linearForward(w.o, x: a.att, y: a.h, tokens: T, accumulate: true)
        normForward(x: a.h, gain: p(o.mlpNorm), y: xn, mean: a.mean2, rstd: a.rstd2, tokens: T)
        // SwiGLU: w_gate and w_up are adjacent [F, C] blocks, i.e. one [2F, C] weight giving gate | up per row.
        linearForward(w.up, x: xn, y: a.mlpIn, tokens: T)
        activation(layer: a, tokens: T)
        Vector.copy(from: a.h, to: out, count: T * C, pool: pool)
        linearForward(w.down, x: arena.act, y: out, tokens: T, accumulate: true)
    }

    /// Width of the MLP's pre-activation rows: 2F (gate | up) for SwiGLU, F for GELU.
    var mlpInWidth: Int { config.mlp == .swiglu ? 2 * config.hidden : config.hidden }

    /// The MLP's hidden activation into `arena.act` from the stored pre-activations (also recomputed in backward).
    func activation(layer a: ActivationArena.Layer, tokens T: Int) {
        let F = config.hidden
        switch config.mlp {
        case .swiglu: SwiGLU.forwardRows(gateUp: a.mlpIn, out: arena.act, tokens: T, hidden: F, pool: pool)
        case .gelu: GELU.forward(x: a.mlpIn, out: arena.act, count: T * F, pool: pool)
        }
    }

    /// Runs the lm_head over chunks of the final norm's output: `body(start, n)` sees logits of tokens
    /// start..<start+n in `arena.logits`.
    func forEachHeadChunk(tokens T: Int, _ body: (Int, Int) throws -> Void) rethrows {
        let C = config.dim, V = config.vocab
        var start = 0
        while start < T {
            let n = min(arena.headChunk, T - start)
            linearForward(linears.head, x: arena.xnFinal + start * C, y: arena.logits, tokens: n)
            try body(start, n)
            start += n
        }
    }
}
