import Support
import Testing
@testable import Transformer

/// A packed batch must behave exactly like its sequences run one by one: attention never crosses a segment and
/// positions restart, so logits match, losses add up, and gradients add up. The reference is the same model run
/// on single-sequence batches (no packing involved).
@Suite struct PackedEquivalenceTests {
    @Test(arguments: [false, true])
    func packedEqualsSeparate(qkNorm: Bool) throws {
        let c = tinyConfig(layers: 2, dim: 32, heads: 4, vocab: 37, norm: qkNorm ? .rmsnorm : .layernorm, qkNorm: qkNorm, initStd: 0.2)
        let lengths = [7, 1, 30, 12, 70]
        let packed = randomBatch(lengths: lengths, vocab: 37, seed: 11)
        let m = try Model(config: c, maxTokens: packed.count, seed: 3)
        let z: Float = 1e-3

        let packedLogits = try m.logits(packed)
        let packedLoss = try m.forwardBackward(packed, zLoss: z)
        let packedGrads = snapshot(m.grads)

        var sumGrads = [Float](repeating: 0, count: m.layout.count)
        var sumLoss = 0.0, sumCount = 0
        var separateLogits: [Float] = []
        for s in 0..<lengths.count {
            let r = packed.segmentStarts[s]..<packed.segmentStarts[s + 1]
            let one = PackedBatch(sequences: [(Array(packed.tokens[r]), Array(packed.targets[r]))])
            separateLogits += try m.logits(one)
            let l = try m.forwardBackward(one, zLoss: z)
            sumLoss += l.sum; sumCount += l.count
            for i in 0..<sumGrads.count { sumGrads[i] += m.grads[i] }
        }
        #expect(maxAbsDiff(packedLogits, separateLogits) <= 1e-5)
        #expect(packedLoss.count == sumCount)
        #expect(abs(packedLoss.sum - sumLoss) <= 1e-6 * abs(sumLoss))
        let scale = maxAbs(sumGrads)
        #expect(maxAbsDiff(packedGrads, sumGrads) <= 1e-5 * scale)
    }

    /// Changing a token of one segment must leave every other segment's logits unchanged (a direct check that
    /// nothing leaks across segment boundaries).
    @Test func noLeakAcrossSegments() throws {
        let c = tinyConfig(layers: 2, dim: 32, heads: 4, vocab: 37, initStd: 0.2)
        var b = randomBatch(lengths: [20, 20, 20], vocab: 37, seed: 4)
        let m = try Model(config: c, maxTokens: 60, seed: 1)
        let before = try m.logits(b)
        b.tokens[25] = (b.tokens[25] + 1) % 37  // inside segment 1 (tokens 20..<40), position 5
        let after = try m.logits(b)
        let V = 37
        #expect(before[0..<(20 * V)] == after[0..<(20 * V)])
        #expect(before[(40 * V)...] == after[(40 * V)...])
        #expect(before[(20 * V)..<(25 * V)] == after[(20 * V)..<(25 * V)])  // causal: earlier positions unchanged
        #expect(maxAbsDiff(before[(25 * V)..<(40 * V)], after[(25 * V)..<(40 * V)]) > 1e-4)
    }

    /// Ranges arrive as lm_head/final norm, then per layer L−1…0 its MLP block and its attention block, then the
    /// embedding; they tile the buffer once from the top down, and each is final
    /// when reported (a copy taken in the callback equals the gradient after the call).
    @Test(arguments: [false, true])
    func gradientReadyRanges(tied: Bool) throws {
        let c = tinyConfig(layers: 3, dim: 16, heads: 2, vocab: 11, tied: tied, initStd: 0.2)
        let m = try Model(config: c, maxTokens: 20, seed: 8)
        let b = randomBatch(lengths: [5, 15], vocab: 11, seed: 2)
        var seen: [(Range<Int>, [Float])] = []
        _ = try m.forwardBackward(b, zLoss: 0) { r in seen.append((r, Array(m.grads[r]))) }
        let expected = m.layout.backwardRanges
        #expect(seen.map(\.0) == expected && expected.count == 2 + 2 * c.layers)
        #expect(zip(expected, expected.dropFirst()).allSatisfy { $0.lowerBound == $1.upperBound }
                && expected.first?.upperBound == m.layout.count && expected.last?.lowerBound == 0)
        #expect(seen.map(\.0.count).reduce(0, +) == m.layout.count)
        for (r, copy) in seen { #expect(copy == Array(m.grads[r])) }
        // An empty share reports the same ranges and zero gradients.
        var emptyRanges: [Range<Int>] = []
        let l = try m.forwardBackward(PackedBatch(sequences: []), zLoss: 0) { emptyRanges.append($0) }
        #expect(l.count == 0 && emptyRanges == expected && maxAbs(Array(m.grads)) == 0)
    }

    @Test func badBatchIsAnError() throws {
        let m = try Model(config: tinyConfig(), maxTokens: 8, seed: 1)
        let tooLong = randomBatch(lengths: [9], vocab: 11, seed: 1)
        #expect(throws: DDError.self) { try m.forwardBackward(tooLong) }
        var badId = randomBatch(lengths: [4], vocab: 11, seed: 1)
        badId.tokens[2] = 11
        #expect(throws: DDError.self) { try m.loss(badId) }
        var badStarts = randomBatch(lengths: [4, 4], vocab: 11, seed: 1)
        badStarts.segmentStarts = [0, 4, 4, 8]
        #expect(throws: DDError.self) { try m.logits(badStarts) }
    }
}
