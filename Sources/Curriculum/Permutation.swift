import Support

/// A seeded random permutation of 0..<n that maps any single position in O(1) without materialising the
/// whole order: a 4-round Feistel network over the smallest even-bit power of two ≥ n, with cycle walking
/// to stay inside 0..<n (Black & Rogaway, "Ciphers with arbitrary finite domains", 2002).
///
/// The planner needs the k-th element of a shuffled pass over a bucket for any k, on every rank, for
/// millions of sequences; a Fisher–Yates shuffle would need the whole pass in memory and a replay to seek.
public struct FeistelPermutation: Sendable {
    /// Size of the permuted range.
    public let n: Int
    private let halfBits: Int
    private let mask: UInt64
    private let keys: (UInt64, UInt64, UInt64, UInt64)

    /// A permutation of 0..<n determined by `key`.
    public init(n: Int, key: UInt64) {
        precondition(n >= 0)
        self.n = n
        var bits = 0
        while (1 << bits) < n { bits += 1 }
        halfBits = max(1, (bits + 1) / 2)
        mask = (UInt64(1) << UInt64(halfBits)) - 1
        var g = SplitMix64(seed: key)
        keys = (g.next(), g.next(), g.next(), g.next())
    }

    @inline(__always) private func round(_ x: UInt64, _ k: UInt64) -> UInt64 {
        var z = (x &+ k) &* 0xBF58_476D_1CE4_E5B9
        z ^= z >> 29
        z = z &* 0x94D0_49BB_1331_11EB
        z ^= z >> 32
        return z & mask
    }

    @inline(__always) private func encrypt(_ x: UInt64) -> UInt64 {
        var l = x >> UInt64(halfBits), r = x & mask
        (l, r) = (r, l ^ round(r, keys.0))
        (l, r) = (r, l ^ round(r, keys.1))
        (l, r) = (r, l ^ round(r, keys.2))
        (l, r) = (r, l ^ round(r, keys.3))
        return (l << UInt64(halfBits)) | r
    }

    /// The element at position `i` (0 ≤ i < n) of the permuted order.
    @inline(__always) public func callAsFunction(_ i: Int) -> Int {
        if n <= 1 { return 0 }
        // The Feistel network permutes 0..<2^(2·halfBits) < 4n; walking the cycle until it lands below n
        // restricts it to a permutation of 0..<n (expected fewer than four steps).
        var x = encrypt(UInt64(i))
        while x >= UInt64(n) { x = encrypt(x) }
        return Int(x)
    }
}
