import Testing
import Kernels

@Suite struct BenchTests {
    /// Causal FLOPs by hand: l = 3 has 6 (query, key) pairs; with D = 2, H = 1 one product is 2·2·6 = 24 FLOPs,
    /// forward runs 2 products (48) and backward 5 (120). Two segments add up.
    @Test func attentionFlopsByHand() {
        let f = Attention.flops(segmentLengths: [3], heads: 1, headDim: 2)
        #expect(f.forward == 48 && f.backward == 120)
        let g = Attention.flops(segmentLengths: [3, 1], heads: 2, headDim: 2)
        #expect(g.forward == 2 * (48 + 8) && g.backward == 2 * (120 + 20))  // l = 1: one pair, 4 FLOPs a product
    }

    /// The benchmark entry points run and return positive, finite timings (no speed threshold: the
    /// machine is shared).
    @Test func benchmarksRun() throws {
        let t = try KernelBench.attention(seqLen: 70, heads: 2, headDim: 8, sequences: 2, repeats: 1)
        #expect(t > 0 && t.isFinite)
        #expect(KernelBench.sgemm(m: 16, n: 16, k: 16, repeats: 1) > 0)
        let line = try KernelBench.attentionReport(seqLen: 64, heads: 1, headDim: 16, repeats: 1)
        #expect(line.contains("GFLOP/s") && line.contains("ratio"))
    }
}
