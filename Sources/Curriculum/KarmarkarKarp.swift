import Support

/// Multiway Karmarkar–Karp (largest differencing method) for splitting items into m subsets of nearly equal sum.
///
/// Every item starts as a partial solution with one non-empty subset. The two partials whose largest and
/// smallest subsets differ most are combined, largest subset of one with smallest of the other, until one
/// partial remains (Karmarkar & Karp 1982; multiway form as in Michiels, Korst, Aarts & van Leeuwen 2007).
/// Partials keep only their non-empty subsets (the rest are implicit zeros), so memory stays O(n + m)
/// per partial even with many ranks.
enum KarmarkarKarp {
    /// A partial solution: non-empty subsets, largest sum first; items chained through `next`.
    private struct Partial {
        var sums: [Double]
        var heads: [Int]
        var tails: [Int]
        var id: Int
        func difference(_ m: Int) -> Double { (sums.first ?? 0) - (sums.count < m ? 0 : sums.last!) }
    }

    /// Assigns items to ranks; subsets go to ranks by owner overlap (equal speeds) or largest-to-fastest.
    static func assign(costs: [Double], owners: [Int], speeds: [Double], locality: Bool) -> [Int] {
        let m = speeds.count, n = costs.count
        var next = [Int](repeating: -1, count: n)
        var heap = PartialHeap(m: m)
        var nextID = 0
        for i in Partitioner.longestFirst(costs) {
            heap.push(Partial(sums: [costs[i]], heads: [i], tails: [i], id: nextID)); nextID += 1
        }
        while heap.count > 1 {
            let a = heap.pop(), b = heap.pop()
            var c = combine(a, b, m: m, next: &next)
            c.id = nextID; nextID += 1
            heap.push(c)
        }
        var rankOf = [Int](repeating: 0, count: n)
        guard let final = heap.count == 1 ? heap.pop() : nil else { return rankOf }
        let subsetRank = matchSubsets(final, costs: costs, owners: owners, speeds: speeds, locality: locality, next: next)
        for (j, head) in final.heads.enumerated() {
            var i = head
            while i >= 0 { rankOf[i] = subsetRank[j]; i = next[i] }
        }
        return rankOf
    }

    /// Pairs a's j-th largest subset with b's j-th smallest (of m, empty ones included).
    private static func combine(_ a: Partial, _ b: Partial, m: Int, next: inout [Int]) -> Partial {
        var parts: [(sum: Double, head: Int, tail: Int)] = []
        let ka = a.sums.count, kb = b.sums.count
        for j in 0..<m where j < ka || j >= m - kb {
            let bj = m - 1 - j
            var s = 0.0, head = -1, tail = -1
            if j < ka { s += a.sums[j]; head = a.heads[j]; tail = a.tails[j] }
            if bj < kb {
                s += b.sums[bj]
                if head < 0 { head = b.heads[bj] } else { next[tail] = b.heads[bj] }
                tail = b.tails[bj]
            }
            parts.append((s, head, tail))
        }
        parts.sort { $0.sum != $1.sum ? $0.sum > $1.sum : $0.head < $1.head }
        return Partial(sums: parts.map(\.sum), heads: parts.map(\.head), tails: parts.map(\.tail), id: 0)
    }

    /// The rank of every non-empty subset of the final partial.
    private static func matchSubsets(_ p: Partial, costs: [Double], owners: [Int], speeds: [Double], locality: Bool, next: [Int]) -> [Int] {
        let m = speeds.count, k = p.sums.count
        var subsetRank = [Int](repeating: -1, count: k)
        var rankUsed = [Bool](repeating: false, count: m)
        let equal = speeds.allSatisfy { $0 == speeds[0] }
        if equal && locality {
            // Equal ranks are interchangeable: give each subset the rank that already owns most of its cost.
            var pairs: [(overlap: Double, subset: Int, rank: Int)] = []
            for j in 0..<k {
                var byOwner: [Int: Double] = [:]
                var i = p.heads[j]
                while i >= 0 {
                    if owners[i] >= 0 && owners[i] < m { byOwner[owners[i], default: 0] += costs[i] }
                    i = next[i]
                }
                for (r, c) in byOwner { pairs.append((c, j, r)) }
            }
            pairs.sort { $0.overlap != $1.overlap ? $0.overlap > $1.overlap : ($0.subset != $1.subset ? $0.subset < $1.subset : $0.rank < $1.rank) }
            for q in pairs where subsetRank[q.subset] < 0 && !rankUsed[q.rank] {
                subsetRank[q.subset] = q.rank
                rankUsed[q.rank] = true
            }
        }
        // The rest: largest subset to the fastest free rank.
        var freeRanks = (0..<m).filter { !rankUsed[$0] }
        freeRanks.sort { speeds[$0] != speeds[$1] ? speeds[$0] > speeds[$1] : $0 < $1 }
        var f = 0
        for j in 0..<k where subsetRank[j] < 0 { subsetRank[j] = freeRanks[f]; f += 1 }
        return subsetRank
    }

    /// A max-heap of partials by difference (ties: older partial first, for determinism).
    private struct PartialHeap {
        let m: Int
        private var heap = BinaryHeap<(key: Double, partial: Partial)> { a, b in
            a.key != b.key ? a.key > b.key : a.partial.id < b.partial.id
        }
        var count: Int { heap.count }

        init(m: Int) { self.m = m }

        mutating func push(_ p: Partial) { heap.push((p.difference(m), p)) }

        mutating func pop() -> Partial { heap.pop().partial }
    }
}
