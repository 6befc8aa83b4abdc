#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Support

/// AdamW (Loshchilov & Hutter, arXiv 1711.05101) with decoupled weight decay and bias correction, in the
/// form of PyTorch's `torch.optim.AdamW`:
///   p ← p·(1 − lr·λ);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
///   p ← p − lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε)
/// It works on any contiguous range (one tensor, or a ZeRO shard), so the caller passes λ = 0 for tensors
/// that must not decay (norm gains, embeddings when so configured) and can update sub-ranges independently.
///
/// Shapes: params, grads, m, v all [count].
public enum AdamW {
    /// One step t (1-based) over `count` parameters. Gradients are used times `gradScale` (e.g. 1/global
    /// token count · clip factor) without being modified.
    public static func update(params: UnsafeMutablePointer<Float>, grads: UnsafePointer<Float>,
                              m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, count: Int,
                              lr: Float, beta1: Float, beta2: Float, eps: Float, weightDecay: Float, step: Int,
                              gradScale: Float = 1) throws {
        guard step >= 1 else {
            throw DDError("AdamW: step \(step) is not 1-based (fix: pass the number of updates done including this one)")
        }
        let bc1 = 1 - pow(Double(beta1), Double(step))
        let bc2 = 1 - pow(Double(beta2), Double(step))
        let stepSize = Float(Double(lr) / bc1)
        let invSqrtBc2 = Float(1 / bc2.squareRoot())
        let decay = 1 - lr * weightDecay
        let b1 = beta1, b2 = beta2, c1 = 1 - beta1, c2 = 1 - beta2
        var i = 0
        while i + 8 <= count {
            let g = load8(grads + i) * gradScale
            let mi = b1 * load8(m + i) + c1 * g
            let vi = b2 * load8(v + i) + c2 * g * g
            store8(mi, m + i)
            store8(vi, v + i)
            let denom = vi.squareRoot() * invSqrtBc2 + eps
            store8(load8(params + i) * decay - stepSize * mi / denom, params + i)
            i += 8
        }
        while i < count {
            let g = grads[i] * gradScale
            m[i] = b1 * m[i] + c1 * g
            v[i] = b2 * v[i] + c2 * g * g
            params[i] = params[i] * decay - stepSize * m[i] / (v[i].squareRoot() * invSqrtBc2 + eps)
            i += 1
        }
    }
}
