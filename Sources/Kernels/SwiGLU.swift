/// The SwiGLU gate (Shazeer, "GLU Variants Improve Transformer", arXiv 2002.05202): out = silu(gate) ∘ up,
/// silu(g) = g·σ(g).
///
/// Shapes: gate, up, out, dout, dgate, dup all [T, F] (pass count = T·F). Gradients are overwritten.
/// The `Rows` variants take gate and up side by side in one [T, 2F] tensor (row t = gate_t | up_t): that is
/// what one sgemm against the stacked [w_gate; w_up] weight [2F, C] produces, so the model runs one larger
/// matmul instead of two (forward and backward).
public enum SwiGLU {
    /// out[t] = silu(gateUp[t, 0..<F]) ∘ gateUp[t, F..<2F] for each of `tokens` rows; out is [T, F].
    public static func forwardRows(gateUp: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, tokens: Int, hidden: Int,
                                   pool: WorkerPool = .serial) {
        pool.ranges(count: tokens) { rows in
            for t in rows {
                let row = gateUp + t * 2 * hidden
                forward(gate: row, up: row + hidden, out: out + t * hidden, count: hidden)
            }
        }
    }

    /// Backward of `forwardRows`: dgateUp [T, 2F] (overwritten) holds dgate | dup per row; dout is [T, F].
    public static func backwardRows(gateUp: UnsafePointer<Float>, dout: UnsafePointer<Float>,
                                    dgateUp: UnsafeMutablePointer<Float>, tokens: Int, hidden: Int,
                                    pool: WorkerPool = .serial) {
        pool.ranges(count: tokens) { rows in
            for t in rows {
                let row = gateUp + t * 2 * hidden, drow = dgateUp + t * 2 * hidden
                backward(gate: row, up: row + hidden, dout: dout + t * hidden, dgate: drow, dup: drow + hidden, count: hidden)
            }
        }
    }

    /// out = silu(gate) ∘ up.
    public static func forward(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                               count: Int) {
        var i = 0
        while i + 8 <= count {
            let g = load8(gate + i)
            let s = 1 / (1 + vexp(-g))
            store8(g * s * load8(up + i), out + i)
            i += 8
        }
        while i < count {
            let g = gate[i], s = 1 / (1 + sexp(-g))
            out[i] = g * s * up[i]
            i += 1
        }
    }

    /// dgate = dout ∘ up ∘ σ(g)(1 + g(1 − σ(g))), dup = dout ∘ silu(g).
    public static func backward(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, dout: UnsafePointer<Float>,
                                dgate: UnsafeMutablePointer<Float>, dup: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            let g = load8(gate + i), d = load8(dout + i)
            let s = 1 / (1 + vexp(-g))
            let u = load8(up + i)
            store8(d * u * s * (1 + g * (1 - s)), dgate + i)
            store8(d * g * s, dup + i)
            i += 8
        }
        while i < count {
            let g = gate[i], d = dout[i], s = 1 / (1 + sexp(-g))
            let u = up[i]
            dgate[i] = d * u * s * (1 + g * (1 - s))
            dup[i] = d * g * s
            i += 1
        }
    }
}
