import Kernels

// Backward pass: lm_head and final norm, then each layer in reverse. Weight gradients accumulate into `grads`
// (zeroed before the pass); arena.dRes carries the gradient of the residual stream between layers.
extension Model {
    /// The configured norm's backward: dx overwritten, dgain accumulated.
    func normBackward(x: UnsafePointer<Float>, gain: UnsafePointer<Float>, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                      dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, dgain: UnsafeMutablePointer<Float>, tokens: Int) {
        switch config.norm {
        case .rmsnorm:
            RMSNorm.backward(x: x, gain: gain, rstd: rstd, dy: dy, dx: dx, dgain: dgain, tokens: tokens, width: config.dim,
                             pool: pool)
        case .layernorm:
            LayerNorm.backward(x: x, gain: gain, mean: mean, rstd: rstd, dy: dy, dx: dx, dgain: dgain, tokens: tokens, width: config.dim,
                             pool: pool)
        }
    }

    /// Loss and its gradient chunk by chunk through the lm_head, then the final norm; leaves d(x_L) in arena.dRes.
    func headForwardBackward(tokens T: Int, zLoss: Float) throws -> LossSum {
        let C = config.dim, V = config.vocab
        var total = LossSum(sum: 0, count: 0)
        try forEachHeadChunk(tokens: T) { start, n in
            let targets = targetIds.baseAddress! + start
            // The fused sweep turns the chunk's logits into their gradient in place.
            let r = try CrossEntropy.forwardBackward(logits: arena.logits, targets: targets, tokens: n, vocab: V, zLoss: zLoss,
                                                     dlogits: arena.logits, pool: pool)
            total.sum += r.sum
            total.count += r.count
            linearBackward(linears.head, x: arena.xnFinal + start * C, dy: arena.logits, dx: arena.dTmp + start * C, tokens: n)
        }
        normBackward(x: arena.xFinal, gain: p(offsets.finalNorm), mean: arena.meanF, rstd: arena.rstdF,
                     dy: arena.dTmp, dx: arena.dRes, dgain: g(offsets.finalNorm), tokens: T)
        return total
    }

    /// Backward through layer `l`: arena.dRes holds d(out) on entry and d(x) on exit. Reports the layer's MLP block
    /// to `onGradientsReady` as soon as its gradient is final, then the attention block at the end.
    func layerBackward(_ l: Int, tokens T: Int, onGradientsReady: ((Range<Int>) -> Void)? = nil) throws {
        let a = arena.layers[l], o = offsets.layers[l], w = linears.layers[l]
        let C = config.dim, F = config.hidden, H = config.heads, D = config.headDim
        let dRes = arena.dRes, dTmp = arena.dTmp, dAtt = arena.dAtt, xn = arena.xn

        // MLP: recompute n2(h) and the activation instead of having stored them.
        normForward(x: a.h, gain: p(o.mlpNorm), y: xn, mean: a.mean2, rstd: a.rstd2, tokens: T)
        activation(layer: a, tokens: T)
        linearBackward(w.down, x: arena.act, dy: dRes, dx: arena.dAct, tokens: T)
        switch config.mlp {
        case .swiglu: SwiGLU.backwardRows(gateUp: a.mlpIn, dout: arena.dAct, dgateUp: arena.dMlpIn, tokens: T, hidden: F,
                                         pool: pool)
        case .gelu: GELU.backward(x: a.mlpIn, dout: arena.dAct, dx: arena.dMlpIn, count: T * F, pool: pool)
        }
        // One matmul pair through the stacked [w_gate; w_up] (or w_fc): dx over k = 2F, dW for both blocks at once.
        linearBackward(w.up, x: xn, dy: arena.dMlpIn, dx: dTmp, tokens: T)
        normBackward(x: a.h, gain: p(o.mlpNorm), mean: a.mean2, rstd: a.rstd2, dy: dTmp, dx: dAtt, dgain: g(o.mlpNorm), tokens: T)
        Vector.add(dAtt, into: dRes, count: T * C, pool: pool)  // dRes is now d(h)
        onGradientsReady?(layout.mlpRanges[l])

        // Attention.
        linearBackward(w.o, x: a.att, dy: dRes, dx: dAtt, tokens: T)
        // q, k, v and their gradients live in [T, 3C] tensors (row stride 3C); see ActivationArena.
        let C3 = 3 * C, dqkv = arena.dqkv
        let v = UnsafePointer((a.qkvRaw ?? a.qkv) + 2 * C), dv = (arena.dqkvRaw ?? dqkv) + 2 * C
        try Attention.backward(q: a.qkv, k: a.qkv + C, v: v, out: a.att, dout: dAtt, lse: a.lse, dq: dqkv, dk: dqkv + C, dv: dv,
                               segmentStarts: segmentStarts, heads: H, headDim: D, scale: 1 / Float(D).squareRoot(),
                               workspace: arena.attentionWorkspace, qkvStride: C3, precision: precision,
                               pool: pool)
        let base = Float(config.ropeBase)
        RoPE.backward(dx: dqkv, positions: positions.baseAddress!, tokens: T, heads: H, headDim: D, base: base, table: ropeTable,
                      rowStride: C3, pool: pool)
        RoPE.backward(dx: dqkv + C, positions: positions.baseAddress!, tokens: T, heads: H, headDim: D, base: base, table: ropeTable,
                      rowStride: C3, pool: pool)
        var dProjection = dqkv
        if let raw = a.qkvRaw, let dRaw = arena.dqkvRaw, let qRstd = a.qRstd, let kRstd = a.kRstd {
            for t in 0..<T {
                let r = raw + t * C3, dr = dRaw + t * C3, dn = dqkv + t * C3
                RMSNorm.backward(x: r, gain: p(o.qNorm), rstd: qRstd + t * H, dy: dn, dx: dr, dgain: g(o.qNorm), tokens: H, width: D)
                RMSNorm.backward(x: r + C, gain: p(o.kNorm), rstd: kRstd + t * H, dy: dn + C, dx: dr + C, dgain: g(o.kNorm),
                                 tokens: H, width: D)
            }
            dProjection = dRaw
        }
        normForward(x: a.x, gain: p(o.attnNorm), y: xn, mean: a.mean1, rstd: a.rstd1, tokens: T)
        linearBackward(w.qkv, x: xn, dy: dProjection, dx: dTmp, tokens: T)
        normBackward(x: a.x, gain: p(o.attnNorm), mean: a.mean1, rstd: a.rstd1, dy: dTmp, dx: dAtt, dgain: g(o.attnNorm), tokens: T)
        Vector.add(dAtt, into: dRes, count: T * C, pool: pool)  // dRes is now d(x)
        onGradientsReady?(layout.attentionRanges[l])
    }
}
