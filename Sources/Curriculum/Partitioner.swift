import Support

/// Which rank computes each of a step's sequences, and what that predicts.
public struct Assignment: Equatable, Sendable {
    /// Rank of every item (sequence), in the order the items were given.
    public var rankOf: [Int]
    /// Predicted time of every rank: the cost assigned to it divided by its speed.
    public var loads: [Double]
    /// Items not computed by their owner (they move in the exchange).
    public var moved: Int

    /// The largest predicted per-rank time.
    public var maxLoad: Double { loads.max() ?? 0 }
    /// The mean predicted per-rank time.
    public var meanLoad: Double { loads.isEmpty ? 0 : loads.reduce(0, +) / Double(loads.count) }
    /// Predicted imbalance max/mean (1 = perfect; 1 for an empty step).
    public var imbalance: Double { meanLoad > 0 ? maxLoad / meanLoad : 1 }
}

/// Splits a step's sequences across ranks minimising the largest per-rank time, Σ cost / speed.
///
/// LPT (longest processing time first; Graham 1969) places each item, longest first, on the rank where it
/// finishes earliest; its makespan is at most (4/3 − 1/(3m))·optimal on equal ranks and 2m/(m+1)·optimal on
/// ranks of unequal speed (Gonzalez, Ibarra & Sahni 1977). With `locality` the greedy result is only used as
/// a bound U: items first stay on their owner while the owner's time stays ≤ U, and the rest go where they
/// finish earliest; if that ends above U the plain greedy assignment is used, so the bound always holds.
/// Karmarkar–Karp is the multiway largest differencing method (Karmarkar & Karp 1982; Michiels et al. 2007).
/// The result depends only on the inputs, so every rank computes the same assignment.
public struct Partitioner: Sendable {
    /// The algorithm.
    public var kind: PartitionerKind
    /// Cost of a sequence of a given length.
    public var cost: CostModel
    /// Whether to prefer owners (fewer sequences move).
    public var locality: Bool

    /// A partitioner with the given algorithm, cost model and owner preference.
    public init(kind: PartitionerKind = .lpt, cost: CostModel, locality: Bool = true) {
        self.kind = kind
        self.cost = cost
        self.locality = locality
    }

    /// The partitioner a balance config describes.
    public init(_ b: BalanceConfig) { self.init(kind: b.partitioner, cost: b.cost, locality: b.locality) }

    /// Assigns the step's sequences to `speeds.count` ranks (owner = shard % ranks).
    public func assign(_ plan: StepPlan, speeds: [Double]) -> Assignment {
        let n = speeds.count
        return assign(costs: plan.sequences.map { cost.cost($0.length) }, owners: plan.sequences.map { $0.shard % n }, speeds: speeds)
    }

    /// Assigns items of the given costs (owner rank each; -1 for none) to `speeds.count` ranks.
    public func assign(costs: [Double], owners: [Int], speeds: [Double]) -> Assignment {
        precondition(costs.count == owners.count && !speeds.isEmpty && speeds.allSatisfy { $0 > 0 })
        let order = Partitioner.longestFirst(costs)
        var rankOf: [Int]
        switch kind {
        case .lpt:
            var loads = [Double](repeating: 0, count: speeds.count)
            rankOf = Partitioner.greedy(order, costs, speeds, &loads, into: [Int](repeating: -1, count: costs.count))
        case .karmarkarKarp:
            rankOf = KarmarkarKarp.assign(costs: costs, owners: owners, speeds: speeds, locality: locality)
        }
        if locality {
            // Owners keep work up to the algorithm's makespan U; if the leftovers then overflow U, owners keep
            // only up to the ideal share (total / Σ speeds) and the leftovers fill the gaps.
            let bound = Partitioner.makespan(rankOf, costs, speeds)
            let share = costs.reduce(0, +) / speeds.reduce(0, +)
            if let near = ownerFirst(order, costs, owners, speeds, keep: bound, bound: bound)
                ?? ownerFirst(order, costs, owners, speeds, keep: share, bound: bound) {
                rankOf = near
            }
        }
        var loads = [Double](repeating: 0, count: speeds.count)
        for i in costs.indices { loads[rankOf[i]] += costs[i] }
        for r in loads.indices { loads[r] /= speeds[r] }
        let moved = zip(rankOf, owners).reduce(0) { $0 + ($1.0 != $1.1 ? 1 : 0) }
        return Assignment(rankOf: rankOf, loads: loads, moved: moved)
    }

    /// Item indices longest first (ties by index, so every rank sorts the same way).
    static func longestFirst(_ costs: [Double]) -> [Int] {
        costs.indices.sorted { costs[$0] != costs[$1] ? costs[$0] > costs[$1] : $0 < $1 }
    }

    /// The largest per-rank time of an assignment.
    static func makespan(_ rankOf: [Int], _ costs: [Double], _ speeds: [Double]) -> Double {
        var loads = [Double](repeating: 0, count: speeds.count)
        for i in costs.indices { loads[rankOf[i]] += costs[i] }
        return zip(loads, speeds).map { $0 / $1 }.max() ?? 0
    }

    /// Keeps items on their owner while the owner's time stays within `keep`, places the rest where they
    /// finish earliest; nil when that ends above `bound` (then the algorithm's own assignment is used).
    /// The bound gets a relative slack of 1e-9 only (rounding), so the algorithm's makespan is never worsened.
    private func ownerFirst(_ order: [Int], _ costs: [Double], _ owners: [Int], _ speeds: [Double], keep: Double, bound: Double) -> [Int]? {
        let limit = bound * (1 + 1e-9), keepLimit = keep * (1 + 1e-9)
        var loads = [Double](repeating: 0, count: speeds.count)
        var rankOf = [Int](repeating: -1, count: costs.count)
        var rest: [Int] = []
        for i in order {
            let o = owners[i]
            if o >= 0, o < speeds.count, (loads[o] + costs[i]) / speeds[o] <= keepLimit {
                loads[o] += costs[i]
                rankOf[i] = o
            } else {
                rest.append(i)
            }
        }
        rankOf = Partitioner.greedy(rest, costs, speeds, &loads, into: rankOf)
        return Partitioner.makespan(rankOf, costs, speeds) <= limit ? rankOf : nil
    }

    /// Places `items` in the given order, each where it finishes earliest (ties: lowest rank), on top of `loads`.
    static func greedy(_ items: [Int], _ costs: [Double], _ speeds: [Double], _ loads: inout [Double], into start: [Int]) -> [Int] {
        var rankOf = start
        let equal = speeds.allSatisfy { $0 == speeds[0] }
        if equal {
            // Equal speeds: the earliest finish is the least loaded rank, kept in a binary heap (O(log m) per item).
            var heap = MinLoadHeap(loads)
            for i in items {
                let r = heap.popMin()
                rankOf[i] = r
                loads[r] += costs[i]
                heap.push(r, loads[r])
            }
        } else {
            for i in items {
                var best = 0, bestTime = Double.infinity
                for r in speeds.indices {
                    let t = (loads[r] + costs[i]) / speeds[r]
                    if t < bestTime { bestTime = t; best = r }
                }
                rankOf[i] = best
                loads[best] += costs[i]
            }
        }
        return rankOf
    }
}

/// A min-heap of (load, rank), ties broken by the lower rank so the order is deterministic.
struct MinLoadHeap {
    private var heap = BinaryHeap<(load: Double, rank: Int)> { a, b in a.load != b.load ? a.load < b.load : a.rank < b.rank }

    init(_ loads: [Double]) {
        for (r, l) in loads.enumerated() { push(r, l) }
    }

    mutating func push(_ rank: Int, _ key: Double) { heap.push((key, rank)) }

    /// The rank with the least load, removed from the heap.
    mutating func popMin() -> Int { heap.pop().rank }
}
