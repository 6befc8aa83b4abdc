import Testing
@testable import Corpus

@Suite struct BaselineTests {
    func randomDocuments(_ seed: UInt64, count: Int, maxLength: Int) -> [[Int32]] {
        var rnd = TestRandom(state: seed)
        return (0..<count).map { d in (0..<rnd.int(1...maxLength)).map { Int32(($0 + d * 7) % 250) } + [256] }
    }

    /// Chunks equal the naive cut of the concatenation every L+1 tokens; document starts are the positions in
    /// each chunk where a document begins (plus 0).
    @Test func concatMatchesNaiveCut() {
        let docs = randomDocuments(5, count: 60, maxLength: 90)
        let l = 31
        var chunker = ConcatChunker(length: l)
        var chunks: [[Int32]] = [], starts: [[Int32]] = []
        for d in docs { d.withUnsafeBufferPointer { b in chunker.add(b) { chunks.append($0); starts.append($1) } } }
        let stream = docs.flatMap { $0 }
        var docBegins = Set<Int>(), pos = 0
        for d in docs { docBegins.insert(pos); pos += d.count }
        #expect(chunks.count == stream.count / (l + 1))
        #expect(chunker.pendingTokens == stream.count % (l + 1))
        for (i, c) in chunks.enumerated() {
            #expect(c == Array(stream[(i * (l + 1))..<((i + 1) * (l + 1))]))
            let expected = [0] + (1...l).filter { docBegins.contains(i * (l + 1) + $0) }
            #expect(starts[i].map(Int.init) == expected)
        }
    }

    /// The naive O(items × bins) best-fit decreasing: bin with the least room that fits, first such bin on ties.
    func naiveBFD(_ lengths: [Int], capacity: Int) -> [Int] {
        var fills: [Int] = []
        for n in lengths.sorted(by: >) {
            var best = -1
            for (b, f) in fills.enumerated() where capacity - f >= n && (best < 0 || f > fills[best]) { best = b }
            if best < 0 { fills.append(n) } else { fills[best] += n }
        }
        return fills
    }

    @Test func bestFitDecreasingMatchesNaivePacking() {
        var rnd = TestRandom(state: 9)
        for trial in 0..<30 {
            let capacity = rnd.int(8...300)
            let lengths = (0..<rnd.int(1...200)).map { _ in rnd.int(1...capacity) }
            let bins = BestFitPacker.pack(lengths: lengths, capacity: capacity)
            // Every item exactly once, no bin over capacity.
            #expect(bins.flatMap { $0 }.sorted() == Array(lengths.indices), "trial \(trial)")
            let fills = bins.map { $0.reduce(0) { $0 + lengths[$1] } }
            #expect(fills.allSatisfy { $0 <= capacity })
            // Same bin count and multiset of fills as the naive algorithm (ties between equal rooms are immaterial).
            #expect(fills.sorted() == naiveBFD(lengths, capacity: capacity).sorted(), "trial \(trial)")
        }
    }

    /// Packed sequences hold whole documents (≤ L+1) or L+1-token pieces of longer ones, each contiguous, and
    /// together exactly the input tokens.
    @Test func packingBufferKeepsDocumentsWhole() {
        let docs = randomDocuments(21, count: 80, maxLength: 70)
        let l = 40
        var buffer = PackingBuffer(length: l, blockTokens: 1000)
        var segments: [[Int32]] = []
        let emit: ([Int32], [Int32]) -> Void = { seq, starts in
            #expect(seq.count <= l + 1)
            #expect(starts.first == 0)
            let bounds = starts.map(Int.init) + [seq.count]
            for i in 0..<starts.count { segments.append(Array(seq[bounds[i]..<bounds[i + 1]])) }
        }
        for d in docs { d.withUnsafeBufferPointer { buffer.add($0, emit: emit) } }
        buffer.flush(emit: emit)
        var expected: [[Int32]] = []
        for d in docs { stride(from: 0, to: d.count, by: l + 1).forEach { expected.append(Array(d[$0..<min($0 + l + 1, d.count)])) } }
        #expect(segments.count == expected.count)
        #expect(segments.map { $0.map(String.init).joined(separator: ",") }.sorted()
            == expected.map { $0.map(String.init).joined(separator: ",") }.sorted())
    }
}
