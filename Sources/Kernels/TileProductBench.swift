import Support

/// One attention tile product timed two ways: on the micro-kernel over packed panels (as `Attention` runs it)
/// and through cblas_sgemm on the same contiguous operands (as it ran before the micro-kernel).
public struct TileProductTiming {
    /// "QKᵀ" (score tile), "PV" (output accumulation) or "PᵀdO" (key-gradient accumulation).
    public let name: String
    public let m: Int, n: Int, k: Int
    /// FLOP/s (2·m·n·k per product) of the micro-kernel and of cblas_sgemm, thread CPU time, best of the repeats.
    public let microKernelFlopsPerSecond: Double, sgemmFlopsPerSecond: Double
}

extension KernelBench {
    /// The three product shapes of attention tiles at these tile sizes (D = headDim), each run `calls` times per
    /// repeat over tiles taken along a 4,096-key head, by `tileProduct` and by cblas_sgemm. The two sides read
    /// the same operands in the same layouts (row-major panels; keys also packed for the micro-kernel, packed
    /// once like `Attention` does per head, outside the timing).
    public static func tileProducts(headDim d: Int, tile: Int = Attention.defaultTile,
                                    keyTile: Int = Attention.defaultKeyTile, calls: Int = 200,
                                    repeats: Int = 3) -> [TileProductTiming] {
        let keys = max(4096, 2 * (tile + keyTile))
        let panel = Attention.panelFloats(keys, d), outputs = max(tile, keyTile) * max(keyTile, d)
        let floats = 3 * panel + tile * keyTile + outputs
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: floats)
        defer { buffer.deallocate() }
        var rng = Xoshiro256(seed: 11)
        for i in 0..<floats { buffer[i] = Float(rng.nextGaussian()) }
        let q = buffer, k = q + panel, kPacked = k + panel, p = kPacked + panel, c = p + tile * keyTile
        packPanels(k, stride: d, count: keys, width: d, into: kPacked)
        // Tile i reads query rows and keys at offsets that walk the head, as the attention loops do.
        func rowOffset(_ i: Int) -> Int { (i * tile) % (keys - tile) }
        func keyOffset(_ i: Int) -> Int { (i * keyTile) % (keys - keyTile) / 16 * 16 }
        func rate(_ flops: Double, _ body: (Int) -> Void) -> Double {
            var best = Double.infinity
            for _ in 0..<max(1, repeats) {
                let t0 = threadSeconds()
                for i in 0..<calls { body(i) }
                best = min(best, threadSeconds() - t0)
            }
            return flops * Double(calls) / best
        }
        // All three shapes multiply the same tile × keyTile × D volume.
        let flopsPerProduct = 2.0 * Double(tile * keyTile * d)
        return [
            TileProductTiming(name: "QKᵀ", m: tile, n: keyTile, k: d, microKernelFlopsPerSecond: rate(flopsPerProduct) { i in
                tileProduct(m: tile, n: keyTile, k: d, alpha: 0.125, a: q + rowOffset(i) * d, aRow: d, aDepth: 1,
                            b: kPacked + keyOffset(i) * d, ldb: 16, bPanel: 16 * d, c: c, ldc: keyTile, accumulate: false)
            }, sgemmFlopsPerSecond: rate(flopsPerProduct) { i in
                Matmul.gemm(transB: true, m: tile, n: keyTile, k: d, alpha: 0.125, a: q + rowOffset(i) * d, lda: d,
                            b: k + keyOffset(i) * d, ldb: d, beta: 0, c: c, ldc: keyTile)
            }),
            TileProductTiming(name: "PV", m: tile, n: d, k: keyTile, microKernelFlopsPerSecond: rate(flopsPerProduct) { i in
                tileProduct(m: tile, n: d, k: keyTile, alpha: 1, a: p, aRow: keyTile, aDepth: 1, b: k + keyOffset(i) * d,
                            ldb: d, bPanel: 16, c: c, ldc: d, accumulate: true)
            }, sgemmFlopsPerSecond: rate(flopsPerProduct) { i in
                Matmul.gemm(m: tile, n: d, k: keyTile, a: p, lda: keyTile, b: k + keyOffset(i) * d, ldb: d, beta: 1,
                            c: c, ldc: d)
            }),
            TileProductTiming(name: "PᵀdO", m: keyTile, n: d, k: tile, microKernelFlopsPerSecond: rate(flopsPerProduct) { i in
                tileProduct(m: keyTile, n: d, k: tile, alpha: 1, a: p, aRow: 1, aDepth: keyTile, b: q + rowOffset(i) * d,
                            ldb: d, bPanel: 16, c: c, ldc: d, accumulate: true)
            }, sgemmFlopsPerSecond: rate(flopsPerProduct) { i in
                Matmul.gemm(transA: true, m: keyTile, n: d, k: tile, a: p, lda: keyTile, b: q + rowOffset(i) * d, ldb: d,
                            beta: 1, c: c, ldc: d)
            }),
        ]
    }
}
