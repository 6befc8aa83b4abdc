#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Support

/// Softmax cross-entropy over the vocabulary with optional z-loss (PaLM, arXiv 2204.02311 §5):
/// loss_t = lse_t − logit_t[target_t] + z·lse_t², lse_t = log Σ_j exp(logit_tj). Tokens whose target is −1
/// have no loss. The result is the SUM over targeted tokens (the trainer divides by the global count).
///
/// Shapes: logits, dlogits [T, V]; targets [T] Int32; lossPerToken [T].
/// Numerically stable: every row is shifted by its maximum before exponentiation.
public enum CrossEntropy {
    /// Returns (Σ loss over targeted tokens, number of targeted tokens). When `lossPerToken` is given it
    /// receives the plain cross-entropy of each token (without the z term; 0 where the target is −1).
    public static func forward(logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>, tokens: Int, vocab: Int,
                               zLoss: Float, lossPerToken: UnsafeMutablePointer<Float>?) throws -> (sum: Double, count: Int) {
        try validate(targets, tokens, vocab)
        var sum = 0.0
        var count = 0
        for t in 0..<tokens {
            let target = Int(targets[t])
            if target < 0 { lossPerToken?[t] = 0; continue }
            let row = logits + t * vocab
            let lse = Double(logSumExp(row, vocab))
            let ce = lse - Double(row[target])
            sum += ce + Double(zLoss) * lse * lse
            count += 1
            lossPerToken?[t] = Float(ce)
        }
        return (sum, count)
    }

    /// dlogits = scale·(softmax·(1 + 2z·lse) − onehot(target)) per targeted row, 0 for untargeted rows
    /// (overwrites; dlogits may alias logits, which saves a [T, V] buffer).
    public static func backward(logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>, tokens: Int, vocab: Int,
                                zLoss: Float, dlogits: UnsafeMutablePointer<Float>, scale: Float = 1) throws {
        try validate(targets, tokens, vocab)
        for t in 0..<tokens {
            let target = Int(targets[t])
            let row = logits + t * vocab, drow = dlogits + t * vocab
            if target < 0 { drow.update(repeating: 0, count: vocab); continue }
            let lse = logSumExp(row, vocab)
            let factor = scale * (1 + 2 * zLoss * lse)
            var j = 0
            while j + 8 <= vocab { store8(vexp(load8(row + j) - lse) * factor, drow + j); j += 8 }
            while j < vocab { drow[j] = sexp(row[j] - lse) * factor; j += 1 }
            drow[target] -= scale
        }
    }

    /// `forward` and `backward` in one sweep (what a training step needs): three passes over each targeted
    /// row instead of five, the exponentials kept in dlogits between the sum and the scaling. dlogits may
    /// alias logits; lossPerToken is as in `forward`.
    public static func forwardBackward(logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>, tokens: Int,
                                       vocab: Int, zLoss: Float, dlogits: UnsafeMutablePointer<Float>,
                                       lossPerToken: UnsafeMutablePointer<Float>? = nil,
                                       scale: Float = 1, pool: WorkerPool = .serial) throws -> (sum: Double, count: Int) {
        try validate(targets, tokens, vocab)
        // Rows on the pool, each row's loss term kept; the terms are then summed in token order.
        var terms = [Double](repeating: 0, count: tokens)
        terms.withUnsafeMutableBufferPointer { terms in
            let terms = terms.baseAddress!
            pool.ranges(count: tokens) { rows in
                for t in rows {
                    terms[t] = forwardBackwardRow(logits + t * vocab, target: Int(targets[t]), vocab: vocab, zLoss: zLoss,
                                                  drow: dlogits + t * vocab, lossPerToken: lossPerToken.map { $0 + t },
                                                  scale: scale)
                }
            }
        }
        var sum = 0.0
        var count = 0
        for t in 0..<tokens where targets[t] >= 0 {
            sum += terms[t]
            count += 1
        }
        return (sum, count)
    }

    /// One row of `forwardBackward`: writes the row's gradient, returns its loss term ce + zLoss·lse² (0 untargeted).
    @inline(__always)
    static func forwardBackwardRow(_ row: UnsafePointer<Float>, target: Int, vocab: Int, zLoss: Float,
                                   drow: UnsafeMutablePointer<Float>, lossPerToken: UnsafeMutablePointer<Float>?,
                                   scale: Float) -> Double {
        if target < 0 { drow.update(repeating: 0, count: vocab); lossPerToken?.pointee = 0; return 0 }
        let xt = row[target]  // read before the row may be overwritten in place
        let m = rowMax(row, vocab)
        var acc = SIMD8<Float>()
        var j = 0
        while j + 8 <= vocab { let e = vexp(load8(row + j) - m); store8(e, drow + j); acc += e; j += 8 }
        var s = acc.sum()
        while j < vocab { let e = sexp(row[j] - m); drow[j] = e; s += e; j += 1 }
        let lse = m + logf(s)
        let ce = Double(lse) - Double(xt)
        lossPerToken?.pointee = Float(ce)
        Vector.scale(drow, count: vocab, by: scale * (1 + 2 * zLoss * lse) / s)
        drow[target] -= scale
        return ce + Double(zLoss) * Double(lse) * Double(lse)
    }

    /// Largest element of a row.
    static func rowMax(_ row: UnsafePointer<Float>, _ n: Int) -> Float {
        var mv = SIMD8<Float>(repeating: -.infinity)
        var j = 0
        while j + 8 <= n { mv = vmax(mv, load8(row + j)); j += 8 }
        var m = hmax(mv)
        while j < n { m = max(m, row[j]); j += 1 }
        return m
    }

    /// log Σ exp(row) computed as max + log Σ exp(row − max).
    static func logSumExp(_ row: UnsafePointer<Float>, _ n: Int) -> Float {
        let m = rowMax(row, n)
        var acc = SIMD8<Float>()
        var j = 0
        while j + 8 <= n { acc += vexp(load8(row + j) - m); j += 8 }
        var s = acc.sum()
        while j < n { s += sexp(row[j] - m); j += 1 }
        return m + logf(s)
    }

    /// Targets come from data files, so a bad one is reported rather than trapped on.
    static func validate(_ targets: UnsafePointer<Int32>, _ tokens: Int, _ vocab: Int) throws {
        for t in 0..<tokens where targets[t] < -1 || Int(targets[t]) >= vocab {
            throw DDError("cross-entropy: target \(targets[t]) at position \(t) is outside [-1, \(vocab)) "
                + "(fix: use -1 for no target and make model.vocab cover the tokenizer's ids)")
        }
    }
}
