/// Byte-pair-encoding merges by rank, on token ids.
///
/// The rule (OpenAI's GPT-2 encoder): among the adjacent pairs of the word, take the pair with the lowest
/// merge rank, merge every occurrence of it from left to right without overlap, and repeat until no pair
/// has a rank. Working on ids instead of strings is equivalent because every symbol that can appear is a
/// single byte or a merge result, and each has exactly one id (checked when the vocabulary loads).
struct BPEMerges: Sendable {
    /// Open-addressing table: key = left << 32 | right (+1 so that 0 marks an empty slot),
    /// value = rank << 32 | merged id.
    private let keys: [UInt64]
    private let values: [UInt64]
    private let mask: Int

    /// The rank used for pairs that have no merge.
    static let noRank = Int32.max

    /// Builds the table; a pair listed twice keeps its last rank, as a Python dict built from the list does.
    init(_ merges: [(left: Int32, right: Int32, rank: Int32, merged: Int32)]) {
        var capacity = 16
        while capacity < merges.count * 2 { capacity <<= 1 }
        var k = [UInt64](repeating: 0, count: capacity)
        var v = [UInt64](repeating: 0, count: capacity)
        let m = capacity - 1
        for merge in merges {
            let key = Self.key(merge.left, merge.right)
            var slot = Self.hash(key) & m
            while k[slot] != 0 && k[slot] != key { slot = (slot + 1) & m }
            k[slot] = key
            v[slot] = UInt64(UInt32(merge.rank)) << 32 | UInt64(UInt32(merge.merged))
        }
        keys = k; values = v; mask = m
    }

    @inline(__always) private static func key(_ a: Int32, _ b: Int32) -> UInt64 {
        (UInt64(UInt32(a)) << 32 | UInt64(UInt32(b))) &+ 1
    }

    @inline(__always) private static func hash(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 40)
    }

    /// The rank and merged id of the pair (a, b), or (noRank, -1) when it has no merge.
    @inline(__always) func lookup(_ a: Int32, _ b: Int32) -> (rank: Int32, merged: Int32) {
        let key = Self.key(a, b)
        var slot = Self.hash(key) & mask
        while true {
            let k = keys[slot]
            if k == key {
                let v = values[slot]
                return (Int32(truncatingIfNeeded: v >> 32), Int32(truncatingIfNeeded: v))
            }
            if k == 0 { return (Self.noRank, -1) }
            slot = (slot + 1) & mask
        }
    }

    /// Merges `symbols` (initially one id per byte) in place until no pair has a rank.
    /// `ranks` is scratch space; ranks[i] is the rank of the pair (symbols[i], symbols[i+1]).
    func apply(_ symbols: inout [Int32], ranks: inout [Int32]) {
        var n = symbols.count
        guard n > 1 else { return }
        ranks.removeAll(keepingCapacity: true)
        for i in 0..<(n - 1) { ranks.append(lookup(symbols[i], symbols[i + 1]).rank) }
        while n > 1 {
            var best = Self.noRank, at = -1
            for i in 0..<(n - 1) where ranks[i] < best { best = ranks[i]; at = i }
            if at < 0 { break }
            let a = symbols[at], b = symbols[at + 1]
            let merged = lookup(a, b).merged
            // One left-to-right pass from the first occurrence, compacting in place. ranks[w-1] is
            // recomputed only next to a merged symbol; elsewhere the old pair (same two symbols) is kept.
            var w = at, r = at
            var previousMerged = false
            while r < n {
                let isMerge = r + 1 < n && symbols[r] == a && symbols[r + 1] == b
                let s = isMerge ? merged : symbols[r]
                let oldPairRank = r > 0 ? ranks[r - 1] : Self.noRank
                symbols[w] = s
                if w > 0 {
                    if isMerge || previousMerged || w == at {
                        ranks[w - 1] = lookup(symbols[w - 1], s).rank
                    } else {
                        ranks[w - 1] = oldPairRank
                    }
                }
                previousMerged = isMerge
                r += isMerge ? 2 : 1
                w += 1
            }
            n = w
            symbols.removeLast(symbols.count - n)
            ranks.removeLast(ranks.count - max(n - 1, 0))
        }
    }
}
