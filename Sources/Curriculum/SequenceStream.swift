import Support

/// The endless order in which one layout's training sequences are consumed in a world of N ranks.
///
/// The order is a series of passes; each pass uses every sequence exactly once, and pass p+1 is a new
/// shuffle seeded by (seed, layout, pass, rank). Within a pass the owners take turns (round robin over the
/// ranks that still have sequences left in this pass, larger pools first), so any run of n consecutive
/// positions holds n/N sequences of every owner while all owners have some left: when every rank owns
/// enough of a bucket, a step never needs to move a sequence. Position → sequence is O(log N), so any
/// step can be planned without replaying the ones before it.
public struct SequenceStream: Sendable {
    /// Index of the layout in the planner's list.
    public let layout: Int
    /// Positions trained per sequence.
    public let length: Int
    /// Sequences per pass (all shards).
    public let passSize: Int
    private let worldSize: Int
    private let shardCount: Int
    private let seed: UInt64
    private let layoutTag: UInt64
    /// Pool size of every rank (sum of its shards' counts).
    private let poolSize: [Int]
    /// Cumulative counts of rank r's shards (r, r+N, r+2N, ...), flat: rank r's run starts at prefixStart[r].
    private let prefix: [Int]
    private let prefixStart: [Int]
    /// Ranks with a non-empty pool, larger pools first (ties by rank): the active ranks of any round are a prefix.
    private let order: [Int]
    /// Round-robin segments: rounds [segRound[j], segRound[j+1]) have segActive[j] active ranks and start at
    /// pass position segStart[j].
    private let segRound: [Int]
    private let segActive: [Int]
    private let segStart: [Int]

    /// The stream of `counts` (layout index `layout`) for a world of `worldSize` ranks.
    public init(layout: Int, counts: LayoutCounts, worldSize: Int, seed: UInt64) {
        self.layout = layout
        self.length = counts.trainedLength
        self.worldSize = worldSize
        self.shardCount = counts.trainCounts.count
        self.seed = seed
        switch counts.kind {
        case let .bucket(k): layoutTag = UInt64(k)
        case let .concat(l): layoutTag = (1 << 40) | UInt64(l)
        case let .packed(l): layoutTag = (2 << 40) | UInt64(l)
        }
        var pool = [Int](repeating: 0, count: worldSize)
        var prefix: [Int] = [], prefixStart: [Int] = []
        for r in 0..<worldSize {
            prefixStart.append(prefix.count)
            var sum = 0
            prefix.append(0)
            for s in stride(from: r, to: shardCount, by: worldSize) {
                sum += counts.trainCounts[s]
                prefix.append(sum)
            }
            pool[r] = sum
        }
        prefixStart.append(prefix.count)
        self.poolSize = pool
        self.prefix = prefix
        self.prefixStart = prefixStart
        self.passSize = pool.reduce(0, +)
        let order = (0..<worldSize).filter { pool[$0] > 0 }.sorted { pool[$0] != pool[$1] ? pool[$0] > pool[$1] : $0 < $1 }
        self.order = order
        var segRound: [Int] = [], segActive: [Int] = [], segStart: [Int] = []
        var round = 0, start = 0, active = order.count
        // Walk the pools from the smallest up: each distinct size closes a segment where `active` ranks remain.
        for idx in stride(from: order.count - 1, through: 0, by: -1) {
            let size = pool[order[idx]]
            if size > round {
                segRound.append(round); segActive.append(active); segStart.append(start)
                start += (size - round) * active
                round = size
            }
            active -= 1
        }
        segRound.append(round); segStart.append(start)
        self.segRound = segRound
        self.segActive = segActive
        self.segStart = segStart
    }

    /// The owner rank and pool position of pass position `p` (0 ≤ p < passSize).
    @inline(__always) private func slot(_ p: Int) -> (rank: Int, k: Int) {
        var lo = 0, hi = segActive.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if segStart[mid] <= p { lo = mid } else { hi = mid - 1 }
        }
        let m = p - segStart[lo], a = segActive[lo]
        return (order[m % a], segRound[lo] + m / a)
    }

    /// The sequence at stream position `g` (any g ≥ 0; pass = g / passSize).
    public func sequence(at g: Int) -> SequenceRef {
        precondition(passSize > 0 && g >= 0)
        let pass = g / passSize
        let (r, k) = slot(g % passSize)
        let perm = FeistelPermutation(n: poolSize[r], key: SplitMix64.derive(seed, layoutTag, UInt64(pass), UInt64(r)))
        let q = perm(k)
        // Which of rank r's shards holds pool position q: binary search in its cumulative counts.
        let base = prefixStart[r]
        var lo = 0, hi = prefixStart[r + 1] - base - 2
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if prefix[base + mid] <= q { lo = mid } else { hi = mid - 1 }
        }
        return SequenceRef(shard: r + lo * worldSize, layout: layout, index: q - prefix[base + lo], length: length)
    }

    /// The sequences at positions start ..< start + count, appended to `out`.
    public func append(from start: Int, count: Int, to out: inout [SequenceRef]) {
        for g in start..<(start + count) { out.append(sequence(at: g)) }
    }
}
