#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Support

/// Micro-benchmarks of the kernels, for `ddtrain bench` and for tuning (single process, current BLAS threads).
///
/// Times are CPU seconds of the calling thread (CLOCK_THREAD_CPUTIME_ID), not wall time: on a shared
/// machine another process taking the core would otherwise inflate them. With one BLAS thread (the
/// per-rank setting) all the work runs on the calling thread, so on an idle core the two agree.
public enum KernelBench {
    /// CPU seconds consumed so far by the calling thread.
    public static func threadSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Best-of-`repeats` seconds of one causal attention forward and one backward on `sequences` packed
    /// sequences of `seqLen` tokens each ([sequences·seqLen, heads, headDim], Gaussian inputs, scale 1/√D).
    /// With `fused`, q, k, v (and their gradients) are the columns of one [T, 3·H·D] tensor, as in the model.
    public static func attentionPhases(seqLen: Int, heads: Int, headDim: Int, sequences: Int = 1, repeats: Int = 3,
                                       tile: Int = Attention.defaultTile, keyTile: Int = Attention.defaultKeyTile,
                                       fused: Bool = false, precision: Precision = .fp32)
        throws -> (forward: Double, backward: Double) {
        let tokens = seqLen * sequences
        let n = tokens * heads * headDim
        let buffers = UnsafeMutablePointer<Float>.allocate(capacity: 8 * n + tokens * heads)
        let wsCount = Attention.workspaceFloats(maxTokens: tokens, heads: heads, headDim: headDim, tile: tile,
                                               keyTile: keyTile)
        let ws = UnsafeMutableBufferPointer<Float>.allocate(capacity: wsCount)
        defer { buffers.deallocate(); ws.deallocate() }
        var rng = Xoshiro256(seed: 7)
        for i in 0..<(8 * n + tokens * heads) { buffers[i] = Float(rng.nextGaussian()) }
        // Unfused: q, k, v, out, dout, dq, dk, dv one after another. Fused: [q|k|v] rows, out, dout, [dq|dk|dv].
        let width = heads * headDim
        let q = buffers, k = q + (fused ? width : n), v = k + (fused ? width : n)
        let out = buffers + 3 * n, dout = out + n
        let dq = dout + n, dk = dq + (fused ? width : n), dv = dk + (fused ? width : n)
        let lse = buffers + 8 * n
        let stride: Int? = fused ? 3 * width : nil
        let starts = (0...sequences).map { $0 * seqLen }
        let scale = 1 / Float(headDim).squareRoot()
        var best = (forward: Double.infinity, backward: Double.infinity)
        for _ in 0..<max(1, repeats) {
            let t0 = threadSeconds()
            try Attention.forward(q: q, k: k, v: v, out: out, lse: lse, segmentStarts: starts, heads: heads,
                                  headDim: headDim, scale: scale, workspace: ws, tile: tile, keyTile: keyTile,
                                  qkvStride: stride, precision: precision)
            let t1 = threadSeconds()
            try Attention.backward(q: q, k: k, v: v, out: out, dout: dout, lse: lse, dq: dq, dk: dk, dv: dv,
                                   segmentStarts: starts, heads: heads, headDim: headDim, scale: scale,
                                   workspace: ws, tile: tile, keyTile: keyTile, qkvStride: stride, precision: precision)
            let t2 = threadSeconds()
            best.forward = min(best.forward, t1 - t0)
            best.backward = min(best.backward, t2 - t1)
        }
        return best
    }

    /// Best-of-`repeats` seconds of attention forward + backward (see `attentionPhases`).
    public static func attention(seqLen: Int, heads: Int, headDim: Int, sequences: Int = 1, repeats: Int = 3) throws -> Double {
        let p = try attentionPhases(seqLen: seqLen, heads: heads, headDim: headDim, sequences: sequences, repeats: repeats)
        return p.forward + p.backward
    }

    /// Best-of-`repeats` seconds of one C[m,n] = A[m,k]·B[k,n] sgemm (2·m·n·k FLOPs).
    public static func sgemm(m: Int, n: Int, k: Int, repeats: Int = 3) -> Double {
        let a = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: k * n)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        var rng = Xoshiro256(seed: 8)
        for i in 0..<(m * k) { a[i] = Float(rng.nextGaussian()) }
        for i in 0..<(k * n) { b[i] = Float(rng.nextGaussian()) }
        var best = Double.infinity
        for _ in 0..<max(1, repeats) {
            let t0 = threadSeconds()
            Matmul.gemm(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: c, ldc: n)
            best = min(best, threadSeconds() - t0)
        }
        return best
    }

    /// One line comparing attention forward+backward GFLOP/s (causal FLOPs, see `Attention.flops`) with sgemm
    /// GFLOP/s on a square problem of side 1024, both measured now with the current BLAS thread count.
    public static func attentionReport(seqLen: Int, heads: Int, headDim: Int, sequences: Int = 1,
                                       repeats: Int = 3) throws -> String {
        let gemmSeconds = sgemm(m: 1024, n: 1024, k: 1024, repeats: repeats)
        let gemmRate = 2 * 1024 * 1024 * 1024 / gemmSeconds / 1e9
        let p = try attentionPhases(seqLen: seqLen, heads: heads, headDim: headDim, sequences: sequences, repeats: repeats)
        let f = Attention.flops(segmentLengths: Array(repeating: seqLen, count: sequences), heads: heads, headDim: headDim)
        let fwd = f.forward / p.forward / 1e9, bwd = f.backward / p.backward / 1e9
        let both = (f.forward + f.backward) / (p.forward + p.backward) / 1e9
        return "attention \(sequences)×\(seqLen) H=\(heads) D=\(headDim): fwd \(fixed(fwd, 1)) bwd \(fixed(bwd, 1)) "
            + "fwd+bwd \(fixed(both, 1)) GFLOP/s; sgemm 1024³ \(fixed(gemmRate, 1)) GFLOP/s; ratio \(fixed(both / gemmRate, 2))"
    }
}
