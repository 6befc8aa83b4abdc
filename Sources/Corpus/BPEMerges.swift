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
    /// Whether every merge's two parts are single bytes or results of lower-ranked merges (true of
    /// GPT-2's vocab.bpe, which lists merges in training order). Then a merge can only create pairs of a
    /// higher rank, and the heap algorithm of `applyLong` gives exactly the reference result.
    let ranksIncrease: Bool

    /// The rank used for pairs that have no merge.
    static let noRank = Int32.max
    /// Words longer than this (in bytes) are merged with the O(n log n) heap algorithm when allowed.
    static let heapThreshold = 64

    /// Builds the table; a pair listed twice keeps its last rank, as a Python dict built from the list does.
    init(_ merges: [(left: Int32, right: Int32, rank: Int32, merged: Int32)], byteIds: [Int32]) {
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
        var madeAt: [Int32: Int32] = [:]
        for b in byteIds { madeAt[b] = -1 }
        var increasing = true
        for merge in merges {
            guard let l = madeAt[merge.left], let r = madeAt[merge.right], l < merge.rank, r < merge.rank,
                  madeAt[merge.merged] == nil else { increasing = false; break }
            madeAt[merge.merged] = merge.rank
        }
        ranksIncrease = increasing
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
        if ranksIncrease && symbols.count > Self.heapThreshold { applyLong(&symbols); return }
        applyShort(&symbols, ranks: &ranks)
    }

    /// The direct algorithm: O(n) per merge step, fastest for the short words of natural text.
    func applyShort(_ symbols: inout [Int32], ranks: inout [Int32]) {
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

    /// The same merges in O(n log n) for long words (a run of thousands of letters would take O(n²) with
    /// `applyShort`). A min-heap holds (rank, position) of every adjacent pair; ties pop left to right.
    /// Because merges only create pairs of higher rank (`ranksIncrease`), all occurrences of the lowest
    /// rank are merged left to right before any higher rank, exactly as the reference does; entries made
    /// stale by a neighbouring merge are recognised because the pair at their position has changed rank.
    func applyLong(_ symbols: inout [Int32]) {
        let n = symbols.count
        guard n > 1 else { return }
        var next = (0..<n).map { Int32($0 + 1) }
        var prev = (0..<n).map { Int32($0 - 1) }
        var heap = BPEHeap(capacity: n)
        for i in 0..<(n - 1) {
            let r = lookup(symbols[i], symbols[i + 1]).rank
            if r != Self.noRank { heap.push(r, Int32(i)) }
        }
        while let (rank, pos) = heap.pop() {
            let i = Int(pos)
            guard symbols[i] >= 0, next[i] < n else { continue }
            let j = Int(next[i])
            let (current, merged) = lookup(symbols[i], symbols[j])
            guard current == rank else { continue }
            symbols[i] = merged
            symbols[j] = -1
            next[i] = next[j]
            if next[j] < n { prev[Int(next[j])] = Int32(i) }
            if prev[i] >= 0 {
                let r = lookup(symbols[Int(prev[i])], merged).rank
                if r != Self.noRank { heap.push(r, prev[i]) }
            }
            if next[i] < n {
                let r = lookup(merged, symbols[Int(next[i])]).rank
                if r != Self.noRank { heap.push(r, Int32(i)) }
            }
        }
        symbols.removeAll { $0 < 0 }
    }
}

/// A binary min-heap of (rank, position) pairs packed into UInt64 keys.
struct BPEHeap {
    private var keys: [UInt64] = []

    init(capacity: Int) { keys.reserveCapacity(capacity) }

    mutating func push(_ rank: Int32, _ position: Int32) {
        keys.append(UInt64(UInt32(rank)) << 32 | UInt64(UInt32(position)))
        var i = keys.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if keys[parent] <= keys[i] { break }
            keys.swapAt(parent, i)
            i = parent
        }
    }

    mutating func pop() -> (Int32, Int32)? {
        guard let top = keys.first else { return nil }
        let last = keys.removeLast()
        if !keys.isEmpty {
            keys[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < keys.count && keys[l] < keys[m] { m = l }
                if r < keys.count && keys[r] < keys[m] { m = r }
                if m == i { break }
                keys.swapAt(i, m)
                i = m
            }
        }
        return (Int32(truncatingIfNeeded: top >> 32), Int32(truncatingIfNeeded: top))
    }
}
