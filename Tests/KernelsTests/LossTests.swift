import Foundation
import Testing
import Support
import Kernels

@Suite struct LossTests {
    /// Cross-entropy with z-loss and ignored targets against a Double reference (sum within 1e-6 relative,
    /// per-token CE within 1e-5), gradient of the sum within 1e-4 (normalised) of central differences.
    /// One row is offset by +1000 and one by −1000 to check the max-shift keeps everything finite.
    @Test func crossEntropyWithZLossAndIgnoredTargets() throws {
        var rng = makeRNG(10)
        let t = 6, v = 37, z: Float = 0.01
        var logits = gaussian(t * v, &rng, scale: 2)
        for j in 0..<v { logits[2 * v + j] += 1000; logits[4 * v + j] -= 1000 }
        let targets: [Int32] = [3, -1, 36, 0, 17, -1]
        func ref(_ x: [Double]) -> (sum: Double, ce: [Double]) {
            var sum = 0.0
            var ce = [Double](repeating: 0, count: t)
            for i in 0..<t where targets[i] >= 0 {
                let row = x[(i * v)..<((i + 1) * v)]
                let m = row.max()!
                let lse = m + Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - m) })
                ce[i] = lse - x[i * v + Int(targets[i])]
                sum += ce[i] + Double(z) * lse * lse
            }
            return (sum, ce)
        }
        var per = [Float](repeating: .nan, count: t)
        let got = try CrossEntropy.forward(logits: logits, targets: targets, tokens: t, vocab: v, zLoss: z, lossPerToken: &per)
        let want = ref(dbl(logits))
        #expect(got.count == 4)
        #expect(abs(got.sum - want.sum) / abs(want.sum) < 1e-6)
        #expect(normError(per, want.ce) < 1e-5)

        var dl = [Float](repeating: .nan, count: t * v)
        try CrossEntropy.backward(logits: logits, targets: targets, tokens: t, vocab: v, zLoss: z, dlogits: &dl)
        // The ±1000 rows need a step small against their own magnitude; the z term makes their gradient large.
        let fd = finiteDifference(dbl(logits), h: 1e-7) { ref($0).sum }
        #expect(normError(dl, fd) < 1e-4)
        #expect(dl[(1 * v)..<(2 * v)].allSatisfy { $0 == 0 })

        // In place (dlogits aliasing logits) gives the same gradient.
        var inPlace = logits
        try inPlace.withUnsafeMutableBufferPointer { p in
            try CrossEntropy.backward(logits: p.baseAddress!, targets: targets, tokens: t, vocab: v, zLoss: z,
                                      dlogits: p.baseAddress!)
        }
        #expect(inPlace == dl)

        // The fused sweep agrees with forward + backward (same bounds against the references), in place too.
        var fusedGrad = [Float](repeating: .nan, count: t * v), fusedPer = [Float](repeating: .nan, count: t)
        let fused = try CrossEntropy.forwardBackward(logits: logits, targets: targets, tokens: t, vocab: v, zLoss: z,
                                                     dlogits: &fusedGrad, lossPerToken: &fusedPer)
        #expect(fused.count == 4 && abs(fused.sum - want.sum) / abs(want.sum) < 1e-6)
        #expect(normError(fusedPer, want.ce) < 1e-5)
        #expect(normError(fusedGrad, fd) < 1e-4)
        var fusedInPlace = logits
        let again = try fusedInPlace.withUnsafeMutableBufferPointer { p in
            try CrossEntropy.forwardBackward(logits: p.baseAddress!, targets: targets, tokens: t, vocab: v, zLoss: z,
                                             dlogits: p.baseAddress!)
        }
        #expect(fusedInPlace == fusedGrad && again.sum == fused.sum)
    }

    /// A target outside [-1, V) is a DDError, not a trap.
    @Test func crossEntropyRejectsBadTarget() {
        let logits = [Float](repeating: 0, count: 2 * 4)
        #expect(throws: DDError.self) {
            _ = try CrossEntropy.forward(logits: logits, targets: [1, 4], tokens: 2, vocab: 4, zLoss: 0, lossPerToken: nil)
        }
    }

    /// Gather copies rows exactly; scatter-add accumulates repeated ids; a bad id throws.
    @Test func embedding() throws {
        var rng = makeRNG(11)
        let vocab = 5, c = 19
        let table = gaussian(vocab * c, &rng)
        let ids: [Int32] = [4, 0, 4, 2]
        var out = [Float](repeating: 0, count: ids.count * c)
        try Embedding.forward(ids: ids, table: table, out: &out, tokens: ids.count, vocab: vocab, width: c)
        for (t, id) in ids.enumerated() {
            #expect(Array(out[(t * c)..<((t + 1) * c)]) == Array(table[(Int(id) * c)..<((Int(id) + 1) * c)]))
        }
        let dout = gaussian(ids.count * c, &rng)
        var dtable = [Float](repeating: 1, count: vocab * c)
        try Embedding.backward(ids: ids, dout: dout, dtable: &dtable, tokens: ids.count, vocab: vocab, width: c)
        var want = [Double](repeating: 1, count: vocab * c)
        for (t, id) in ids.enumerated() { for j in 0..<c { want[Int(id) * c + j] += Double(dout[t * c + j]) } }
        #expect(normError(dtable, want) < 1e-6)
        #expect(throws: DDError.self) {
            try Embedding.forward(ids: [5], table: table, out: &out, tokens: 1, vocab: vocab, width: c)
        }
    }
}
