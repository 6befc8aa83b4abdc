import Testing
@testable import Kernels
import Support

/// Every kernel that runs on the worker pool, at 2 and 3 threads, against the same kernel at 1 thread: the outputs
/// (and the gradients and sums they accumulate) must be bit-identical, in fp32 and, where the CPU has the kernel,
/// bf16. Shapes are ragged (rows, widths and segments that do not divide by the thread count or by 16).
@Suite struct ThreadDeterminismTests {
    static let pools = [WorkerPool(threads: 2), WorkerPool(threads: 3)]

    /// Runs `body` on the serial pool and on each threaded pool; every result must match the serial one bit for bit.
    func expectSameBits(_ what: String, _ body: (WorkerPool) throws -> [Float]) rethrows {
        let reference = try body(.serial).map(\.bitPattern)
        for pool in Self.pools {
            let got = try body(pool).map(\.bitPattern)
            let first = zip(got, reference).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            #expect(got.count == reference.count && first == nil,
                    "\(what), \(pool.threads) threads: differs from 1 thread at element \(first ?? -1)")
        }
    }

    @Test(arguments: Precision.allCases) func attention(precision: Precision) throws {
        if precision == .bf16 && KernelDispatch.level < .avx512bf16 { return }
        var rng = makeRNG(41)
        let starts = [0, 130, 131, 300, 301, 333], tokens = starts.last!
        // pieceLength 64 cuts the 130- and 169-token segments into pieces (query rows forward, keys backward).
        for (heads, pieceLength) in [(2, Attention.defaultPieceLength), (5, Attention.defaultPieceLength), (2, 64)] {
            let d = 32, width = heads * d
            let q = gaussian(tokens * width, &rng), k = gaussian(tokens * width, &rng), v = gaussian(tokens * width, &rng)
            let dout = gaussian(tokens * width, &rng)
            try expectSameBits("attention \(precision) heads \(heads) pieces of \(pieceLength)") { pool in
                var ws = [Float](repeating: 0, count: Attention.workspaceFloats(maxTokens: tokens, heads: heads, headDim: d,
                                                                                  tile: 48, keyTile: 64, workers: pool.threads))
                var out = [Float](repeating: 0, count: tokens * width), lse = [Float](repeating: 0, count: tokens * heads)
                var dq = out, dk = out, dv = out
                try ws.withUnsafeMutableBufferPointer { w in
                    try Attention.forward(q: q, k: k, v: v, out: &out, lse: &lse, segmentStarts: starts, heads: heads,
                                          headDim: d, scale: 0.17, workspace: w, tile: 48, keyTile: 64,
                                          precision: precision, pieceLength: pieceLength, pool: pool)
                    try Attention.backward(q: q, k: k, v: v, out: out, dout: dout, lse: lse, dq: &dq, dk: &dk, dv: &dv,
                                           segmentStarts: starts, heads: heads, headDim: d, scale: 0.17, workspace: w,
                                           tile: 48, keyTile: 64, precision: precision, pieceLength: pieceLength,
                                           pool: pool)
                }
                return out + lse + dq + dk + dv
            }
        }
    }

    @Test func norms() {
        var rng = makeRNG(42)
        let tokens = 37, width = 72
        let x = gaussian(tokens * width, &rng), gain = gaussian(width, &rng), dy = gaussian(tokens * width, &rng)
        expectSameBits("rmsnorm") { pool in
            var y = x, rstd = [Float](repeating: 0, count: tokens), dx = x, dgain = gain
            RMSNorm.forward(x: x, gain: gain, y: &y, rstd: &rstd, tokens: tokens, width: width, eps: 1e-5, pool: pool)
            RMSNorm.backward(x: x, gain: gain, rstd: rstd, dy: dy, dx: &dx, dgain: &dgain, tokens: tokens, width: width,
                             pool: pool)
            return y + rstd + dx + dgain
        }
        expectSameBits("layernorm") { pool in
            var y = x, mean = [Float](repeating: 0, count: tokens), rstd = mean, dx = x, dgain = gain
            LayerNorm.forward(x: x, gain: gain, y: &y, mean: &mean, rstd: &rstd, tokens: tokens, width: width, eps: 1e-5,
                              pool: pool)
            LayerNorm.backward(x: x, gain: gain, mean: mean, rstd: rstd, dy: dy, dx: &dx, dgain: &dgain, tokens: tokens,
                               width: width, pool: pool)
            return y + mean + rstd + dx + dgain
        }
    }

    @Test func elementwise() throws {
        var rng = makeRNG(43)
        let tokens = 29, heads = 3, d = 10, hidden = 45
        let x = gaussian(tokens * heads * d, &rng), gateUp = gaussian(tokens * 2 * hidden, &rng)
        let dact = gaussian(tokens * hidden, &rng)
        let positions = (0..<tokens).map { Int32($0 % 11) }
        expectSameBits("rope") { pool in
            var a = x
            RoPE.forward(x: &a, positions: positions, tokens: tokens, heads: heads, headDim: d, base: 10000, pool: pool)
            var b = a
            RoPE.backward(dx: &b, positions: positions, tokens: tokens, heads: heads, headDim: d, base: 10000, pool: pool)
            return a + b
        }
        expectSameBits("swiglu") { pool in
            var out = dact, dgu = gateUp
            SwiGLU.forwardRows(gateUp: gateUp, out: &out, tokens: tokens, hidden: hidden, pool: pool)
            SwiGLU.backwardRows(gateUp: gateUp, dout: dact, dgateUp: &dgu, tokens: tokens, hidden: hidden, pool: pool)
            return out + dgu
        }
        expectSameBits("gelu") { pool in
            var out = dact, dx = dact
            GELU.forward(x: gateUp, out: &out, count: dact.count, pool: pool)
            GELU.backward(x: gateUp, dout: dact, dx: &dx, count: dact.count, pool: pool)
            return out + dx
        }
        let vocab = 7, width = 40
        let ids = (0..<tokens).map { Int32(($0 * 5) % vocab) }, table = gaussian(vocab * width, &rng)
        let dout = gaussian(tokens * width, &rng)
        try expectSameBits("embedding") { pool in
            var out = dout, dtable = table
            try Embedding.forward(ids: ids, table: table, out: &out, tokens: tokens, vocab: vocab, width: width, pool: pool)
            try Embedding.backward(ids: ids, dout: dout, dtable: &dtable, tokens: tokens, vocab: vocab, width: width, pool: pool)
            return out + dtable
        }
    }

    @Test func lossAndOptimizerSums() throws {
        var rng = makeRNG(44)
        let tokens = 23, vocab = 301
        let logits = gaussian(tokens * vocab, &rng, scale: 3)
        let targets = (0..<tokens).map { Int32($0 % 4 == 3 ? -1 : ($0 * 37) % vocab) }
        try expectSameBits("cross-entropy") { pool in
            var d = logits, perToken = [Float](repeating: 0, count: tokens)
            let r = try CrossEntropy.forwardBackward(logits: logits, targets: targets, tokens: tokens, vocab: vocab,
                                                     zLoss: 1e-3, dlogits: &d, lossPerToken: &perToken, pool: pool)
            let sum = r.sum.bitPattern
            return d + perToken + [Float(bitPattern: UInt32(sum >> 32)), Float(bitPattern: UInt32(sum & 0xffff_ffff)),
                                   Float(r.count)]
        }
        let big = gaussian(100_003, &rng)
        expectSameBits("sum of squares and scale") { pool in
            let s = Vector.sumOfSquares(big, count: big.count, pool: pool).bitPattern
            var scaled = big
            Vector.scale(&scaled, count: scaled.count, by: 0.3, pool: pool)
            return scaled + [Float(bitPattern: UInt32(s >> 32)), Float(bitPattern: UInt32(s & 0xffff_ffff))]
        }
        #expect(Vector.sumOfSquares(big, count: big.count, pool: Self.pools[0]) == Vector.sumOfSquares(big, count: big.count))
    }

    @Test func bf16Gemm() throws {
        guard let kernel = KernelDispatch.gemmBF16 else { return }
        var rng = makeRNG(45)
        let m = 77, n = 50, k = 300
        let a = gaussian(m * k, &rng), b = gaussian(k * n, &rng), c0 = gaussian(m * n, &rng)
        let packed = PackedBF16Matrix(k: k, n: n)
        packed.pack(b, kStride: n, nStride: 1)
        expectSameBits("bf16 gemm") { pool in
            var c = c0
            BF16Gemm.gemm(kernel, m: m, n: n, k: k, alpha: 0.5, a: a, aRow: k, aDepth: 1,
                          packed: packed.storage.baseAddress!, c: &c, ldc: n, accumulate: true, pool: pool)
            return c
        }
    }

    /// The three fp32 Linear products on `GemmF32` (kernel level avx512): 2101 tokens, 100 → 1100 features, so the
    /// forward's output spans two 1024-column B blocks, dx (1100 deep) sums three 512-deep slices and dW (2101 deep)
    /// two stages of four slices.
    @Test func f32Gemm() {
        guard KernelDispatch.linearF32Own else { return }
        var rng = makeRNG(46)
        let tokens = 2101, inF = 100, outF = 1100
        let x = gaussian(tokens * inF, &rng), w = gaussian(outF * inF, &rng), dy = gaussian(tokens * outF, &rng)
        let y0 = gaussian(tokens * outF, &rng), dx0 = gaussian(tokens * inF, &rng), dw0 = gaussian(outF * inF, &rng)
        expectSameBits("f32 gemm y += x·Wᵀ") { pool in
            var y = y0
            Linear.forward(x: x, w: w, y: &y, tokens: tokens, inFeatures: inF, outFeatures: outF, accumulate: true,
                           pool: pool)
            return y
        }
        expectSameBits("f32 gemm dx = dy·W, dW += dyᵀ·x") { pool in
            var dx = dx0, dw = dw0
            Linear.backward(x: x, w: w, dy: dy, dx: &dx, dw: &dw, tokens: tokens, inFeatures: inF, outFeatures: outF,
                            pool: pool)
            return dx + dw
        }
        expectSameBits("f32 gemm dW += dyᵀ·x alone") { pool in
            var dw = dw0
            Linear.backward(x: x, w: w, dy: dy, dx: nil, dw: &dw, tokens: tokens, inFeatures: inF, outFeatures: outF,
                            pool: pool)
            return dw
        }
    }

    @Test func workersRunAtTheSubmittersKernelLevel() {
        let pool = WorkerPool(threads: 3)
        var seen = [Int](repeating: -2, count: 12)
        KernelDispatch.withLevel(.avx2) {
            seen.withUnsafeMutableBufferPointer { s in
                pool.run(items: 12) { i, _ in s[i] = KernelDispatch.level.rawValue }
            }
        }
        #expect(seen.allSatisfy { $0 == KernelLevel.avx2.rawValue }, "levels seen by the workers: \(seen)")
    }
}
