import Testing
@testable import Corpus
@testable import Support

/// A naive restatement of method.md §2's loop (log2 by repeated doubling), used as the reference.
func referenceDecompose(_ length: Int, min lo: Int, max hi: Int, exact: Bool, pickLong: () -> Int) -> (pieces: [(Int, Int)], tail: Int) {
    var out: [(Int, Int)] = []
    var start = 0, rest = length
    while exact ? rest >= 1 : rest > 1 {
        let usable = exact ? rest : rest - 1
        var k = 0
        while 1 << (k + 1) <= usable { k += 1 }
        if k < lo { break }
        if k > hi { k = pickLong() }
        out.append((start, k))
        let n = exact ? 1 << k : (1 << k) + 1
        start += n
        rest -= n
    }
    return (out, rest)
}

@Suite struct DecompositionTests {
    let deterministic = DecompositionConfig(minBucket: 8, maxBucket: 13, pieces: .reference, longDocuments: .max, seed: 0)

    /// Every test vector of method.md §2: length → [(start, trained length)], discarded tail.
    @Test(arguments: [
        (100, [], 100),
        (257, [(0, 256)], 0),
        (300, [(0, 256)], 43),
        (1000, [(0, 512), (513, 256)], 230),
        (1025, [(0, 1024)], 0),
        (5000, [(0, 4096), (4097, 512), (4610, 256)], 133),
        (8192, [(0, 4096), (4097, 2048), (6146, 1024), (7171, 512), (7684, 256)], 251),
        (8193, [(0, 8192)], 0),
        (16384, [(0, 8192), (8193, 4096), (12290, 2048), (14339, 1024), (15364, 512), (15877, 256)], 250),
    ] as [(Int, [(Int, Int)], Int)])
    func methodTestVectors(length: Int, expected: [(Int, Int)], tail: Int) {
        let d = Decomposer.decompose(length: length, documentID: 1, config: deterministic)
        #expect(d.pieces.map(\.start) == expected.map(\.0))
        #expect(d.pieces.map(\.trainedLength) == expected.map(\.1))
        #expect(d.pieces.allSatisfy { $0.count == $0.trainedLength + 1 })
        #expect(d.discarded == tail)
    }

    @Test func longDocumentWithMaxRule() {
        // method.md: L=20000 (k = max when long) -> 8192, 8192, 2048, 1024, 512; tail 27.
        let d = Decomposer.decompose(length: 20000, documentID: 5, config: deterministic)
        #expect(d.pieces.map(\.trainedLength) == [8192, 8192, 2048, 1024, 512])
        #expect(d.pieces.map(\.start) == [0, 8193, 16386, 18435, 19460])
        #expect(d.discarded == 27)
        // The 8192-token document is not bucket 13 (needs 8193 tokens), as the vector notes.
        #expect(!Decomposer.decompose(length: 8192, documentID: 0, config: deterministic).pieces.contains { $0.bucket == 13 })
    }

    @Test func exactModeCutsPowersOfTwo() {
        var c = deterministic
        c.pieces = .exact
        // 1000 = 512 + 256 + 232 (232 < 256 discarded); 8192 is exactly one 8192 piece.
        let d = Decomposer.decompose(length: 1000, documentID: 0, config: c)
        #expect(d.pieces == [Piece(start: 0, bucket: 9, count: 512), Piece(start: 512, bucket: 8, count: 256)])
        #expect(d.discarded == 232)
        #expect(Decomposer.decompose(length: 8192, documentID: 0, config: c).pieces == [Piece(start: 0, bucket: 13, count: 8192)])
        #expect(Decomposer.decompose(length: 255, documentID: 0, config: c).pieces.isEmpty)
    }

    /// Random documents in both modes and both long-document rules: pieces are in-order adjacent slices of the
    /// document, their lengths are exact, kept + discarded = total, and (max rule) they equal the reference loop.
    @Test func propertiesOnRandomDocuments() {
        var rnd = TestRandom(state: 17)
        for mode in PieceMode.allCases {
            for rule in LongDocumentRule.allCases {
                let lo = rnd.int(3...6), hi = lo + rnd.int(0...4)
                let c = DecompositionConfig(minBucket: lo, maxBucket: hi, pieces: mode, longDocuments: rule, seed: 99)
                for id in 0..<400 {
                    let length = rnd.int(0...(1 << (hi + 3)))
                    let d = Decomposer.decompose(length: length, documentID: id, config: c)
                    var next = 0
                    for p in d.pieces {
                        #expect(p.start == next)
                        #expect(p.bucket >= lo && p.bucket <= hi)
                        #expect(p.count == (mode == .reference ? (1 << p.bucket) + 1 : 1 << p.bucket))
                        next = p.start + p.count
                    }
                    #expect(next + d.discarded == length)
                    // The tail is too short for the smallest piece.
                    #expect(d.discarded < (mode == .reference ? (1 << lo) + 1 : 1 << lo))
                    if rule == .max {
                        let r = referenceDecompose(length, min: lo, max: hi, exact: mode == .exact, pickLong: { hi })
                        #expect(d.pieces.map(\.start) == r.pieces.map(\.0))
                        #expect(d.pieces.map(\.bucket) == r.pieces.map(\.1))
                        #expect(d.discarded == r.tail)
                    }
                }
            }
        }
    }

    @Test func seededRuleIsReproducibleAndPerDocument() {
        let c = DecompositionConfig(minBucket: 8, maxBucket: 13, pieces: .reference, longDocuments: .seeded, seed: 3)
        let a = Decomposer.decompose(length: 200_000, documentID: 42, config: c)
        let b = Decomposer.decompose(length: 200_000, documentID: 42, config: c)
        #expect(a == b)
        // Another seed or document draws differently (with overwhelming probability for ~40 draws).
        var c2 = c
        c2.seed = 4
        #expect(Decomposer.decompose(length: 200_000, documentID: 42, config: c2) != a)
        #expect(Decomposer.decompose(length: 200_000, documentID: 43, config: c) != a)
        // Short content never draws: below 2^(max+1)+1 tokens the seeded and max rules agree.
        var m = c
        m.longDocuments = .max
        #expect(Decomposer.decompose(length: 16384, documentID: 42, config: c) == Decomposer.decompose(length: 16384, documentID: 42, config: m))
    }

    /// P(k) ∝ 2^(max−k): with min 8, max 13 the expected shares are 32/63, 16/63, ..., 1/63.
    @Test func seededDrawFollowsPowerOfTwoOdds() {
        var rng = Xoshiro256(seed: 11)
        var counts = [Int](repeating: 0, count: 14)
        let n = 126_000
        for _ in 0..<n { counts[Decomposer.drawLongBucket(min: 8, max: 13, &rng)] += 1 }
        for k in 8...13 {
            let expected = Double(n) * Double(1 << (13 - k)) / 63
            // 5 standard deviations of a binomial count.
            let sd = (expected * (1 - expected / Double(n))).squareRoot()
            #expect(abs(Double(counts[k]) - expected) < 5 * sd, "bucket \(k): \(counts[k]) vs \(expected)")
        }
        #expect(counts[0..<8].allSatisfy { $0 == 0 })
    }
}
