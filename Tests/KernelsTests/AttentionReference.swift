import Foundation

// Plain-loop Double references for causal attention over one segment and one head, written from the
// definition out = softmax(scale·QKᵀ + causal mask)·V, independently of the tiled kernel.

/// Reads head h of rows [start, start+len) of a [T, H, D] tensor as len×D Doubles.
func headSlice(_ x: [Float], start: Int, length: Int, head: Int, heads: Int, d: Int) -> [Double] {
    var out = [Double](repeating: 0, count: length * d)
    for i in 0..<length { for j in 0..<d { out[i * d + j] = Double(x[((start + i) * heads + head) * d + j]) } }
    return out
}

/// Row-stochastic causal probabilities P [len, len] (0 above the diagonal) and the log-sum-exp per row.
func naiveProbabilities(q: [Double], k: [Double], length: Int, d: Int, scale: Double) -> (p: [Double], lse: [Double]) {
    var p = [Double](repeating: 0, count: length * length)
    var lse = [Double](repeating: 0, count: length)
    for i in 0..<length {
        var mx = -Double.infinity
        for j in 0...i {
            var s = 0.0
            for c in 0..<d { s += q[i * d + c] * k[j * d + c] }
            p[i * length + j] = s * scale
            mx = max(mx, s * scale)
        }
        var sum = 0.0
        for j in 0...i { sum += Foundation.exp(p[i * length + j] - mx) }
        lse[i] = mx + Foundation.log(sum)
        for j in 0...i { p[i * length + j] = Foundation.exp(p[i * length + j] - lse[i]) }
    }
    return (p, lse)
}

/// out = P·V for one segment and head.
func naiveAttention(q: [Double], k: [Double], v: [Double], length: Int, d: Int, scale: Double) -> (out: [Double], lse: [Double]) {
    let (p, lse) = naiveProbabilities(q: q, k: k, length: length, d: d, scale: scale)
    var out = [Double](repeating: 0, count: length * d)
    for i in 0..<length { for j in 0...i { for c in 0..<d { out[i * d + c] += p[i * length + j] * v[j * d + c] } } }
    return (out, lse)
}

/// Analytic gradients of Σ dO∘out written from the chain rule on the explicit P matrix:
/// dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P∘(dP − rowsum(P∘dP)), dQ = scale·dS·K, dK = scale·dSᵀ·Q.
func naiveAttentionBackward(q: [Double], k: [Double], v: [Double], dout: [Double], length n: Int, d: Int,
                            scale: Double) -> (dq: [Double], dk: [Double], dv: [Double]) {
    let (p, _) = naiveProbabilities(q: q, k: k, length: n, d: d, scale: scale)
    var dq = [Double](repeating: 0, count: n * d), dk = dq, dv = dq
    for i in 0..<n {
        var dp = [Double](repeating: 0, count: i + 1)
        var rowDot = 0.0
        for j in 0...i {
            for c in 0..<d { dp[j] += dout[i * d + c] * v[j * d + c] }
            rowDot += p[i * n + j] * dp[j]
        }
        for j in 0...i {
            let pij = p[i * n + j]
            let ds = pij * (dp[j] - rowDot) * scale
            for c in 0..<d {
                dv[j * d + c] += pij * dout[i * d + c]
                dq[i * d + c] += ds * k[j * d + c]
                dk[j * d + c] += ds * q[i * d + c]
            }
        }
    }
    return (dq, dk, dv)
}
