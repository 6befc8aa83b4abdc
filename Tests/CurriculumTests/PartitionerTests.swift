import Testing
import Support
@testable import Curriculum

@Suite struct PartitionerTests {
    /// The optimal makespan by trying every assignment (m^n of them).
    static func bruteForce(_ costs: [Double], _ speeds: [Double]) -> Double {
        let m = speeds.count, n = costs.count
        var best = Double.infinity
        var code = 0, total = 1
        for _ in 0..<n { total *= m }
        while code < total {
            var loads = [Double](repeating: 0, count: m), c = code
            for i in 0..<n { loads[c % m] += costs[i]; c /= m }
            best = min(best, zip(loads, speeds).map { $0 / $1 }.max()!)
            code += 1
        }
        return best
    }

    static let model = CostModel(alpha: 1, beta: 1.0 / 512)

    @Test func smallInstancesAgainstBruteForce() {
        var rng = Xoshiro256(seed: 11)
        for trial in 0..<150 {
            let m = 2 + trial % 3, n = 3 + rng.nextInt(below: 6)
            let costs = (0..<n).map { _ in Self.model.cost(16 << rng.nextInt(below: 6)) * (0.5 + rng.nextDouble()) }
            let owners = (0..<n).map { _ in rng.nextInt(below: m) }
            let equal = [Double](repeating: 1, count: m)
            let opt = Self.bruteForce(costs, equal)
            for kind in [PartitionerKind.lpt, .karmarkarKarp] {
                for locality in [true, false] {
                    let a = Partitioner(kind: kind, cost: Self.model, locality: locality).assign(costs: costs, owners: owners, speeds: equal)
                    // Independent recount of the loads from the assignment.
                    var loads = [Double](repeating: 0, count: m)
                    for i in 0..<n { loads[a.rankOf[i]] += costs[i] }
                    #expect(zip(loads, a.loads).allSatisfy { abs($0 - $1) < 1e-9 })
                    #expect(a.maxLoad >= opt - 1e-9)
                    // Graham's LPT bound; multiway Karmarkar–Karp has the same worst case (Michiels et al. 2007).
                    #expect(a.maxLoad <= (4.0 / 3 - 1.0 / Double(3 * m)) * opt + 1e-9, "\(kind) \(costs) m=\(m)")
                }
            }
            // Unequal speeds: LPT within 2m/(m+1) of the optimum (Gonzalez, Ibarra & Sahni 1977).
            let speeds = (0..<m).map { _ in 0.5 + 1.5 * rng.nextDouble() }
            let optU = Self.bruteForce(costs, speeds)
            let a = Partitioner(kind: .lpt, cost: Self.model).assign(costs: costs, owners: owners, speeds: speeds)
            #expect(a.maxLoad >= optU - 1e-9 && a.maxLoad <= 2 * Double(m) / Double(m + 1) * optU + 1e-9)
        }
    }

    @Test func largeRandomStepsNearTheLowerBound() {
        var rng = Xoshiro256(seed: 12)
        for (n, m) in [(600, 8), (2000, 64), (3000, 100)] {
            let lengths = (0..<n).map { _ in 256 << rng.nextInt(below: 4) }
            let costs = lengths.map { Self.model.cost($0) }
            let owners = (0..<n).map { _ in rng.nextInt(below: m) }
            let lower = max(costs.reduce(0, +) / Double(m), costs.max()!)
            for kind in [PartitionerKind.lpt, .karmarkarKarp] {
                let a = Partitioner(kind: kind, cost: Self.model).assign(costs: costs, owners: owners, speeds: [Double](repeating: 1, count: m))
                #expect(a.maxLoad <= 1.05 * lower, "\(kind) n=\(n) m=\(m): \(a.maxLoad / lower)")
                #expect(Set(a.rankOf).isSubset(of: Set(0..<m)) && a.rankOf.count == n)
            }
        }
    }

    @Test func nothingMovesWhenOwnersAreBalanced() throws {
        // The plan of a bucket step with equal shards already gives each owner the same work.
        let layouts = syntheticBuckets(shards: 4) { k, _ in 1 << (12 - k) }
        let p = try StepPlanner(config: testConfig(cycles: 1), layouts: layouts, worldSize: 4)
        for kind in [PartitionerKind.lpt, .karmarkarKarp] {
            let part = Partitioner(kind: kind, cost: Self.model)
            for t in 0..<p.totalSteps {
                let a = part.assign(p.plan(step: t), speeds: [1, 1, 1, 1])
                #expect(a.moved == 0 && abs(a.imbalance - 1) < 1e-12)
            }
        }
        // Locality moves fewer sequences than plain LPT and keeps its bound on skewed owners.
        var rng = Xoshiro256(seed: 5)
        let costs = (0..<400).map { _ in Self.model.cost(64 << rng.nextInt(below: 4)) }
        let owners = (0..<400).map { _ in min(rng.nextInt(below: 6), 3) }
        let near = Partitioner(kind: .lpt, cost: Self.model, locality: true).assign(costs: costs, owners: owners, speeds: [1, 1, 1, 1])
        let plain = Partitioner(kind: .lpt, cost: Self.model, locality: false).assign(costs: costs, owners: owners, speeds: [1, 1, 1, 1])
        // What an owner holds beyond the makespan must move; locality moves little more than the excess over the share.
        var ownerLoad = [0.0, 0, 0, 0]
        for i in costs.indices { ownerLoad[owners[i]] += costs[i] }
        let share = costs.reduce(0, +) / 4
        let excess = ownerLoad.reduce(0) { $0 + max(0, $1 - share) }
        let movedCost = costs.indices.filter { near.rankOf[$0] != owners[$0] }.reduce(0.0) { $0 + costs[$1] }
        let forced = ownerLoad.reduce(0) { $0 + max(0, $1 - near.maxLoad) }
        #expect(movedCost >= forced - 1e-9 && movedCost <= excess + costs.max()!, "moved \(movedCost), excess \(excess)")
        #expect(near.moved < plain.moved && near.maxLoad <= plain.maxLoad * (1 + 1e-9))
    }

    @Test func slowerRanksGetProportionallyLess() {
        let costs = [Double](repeating: 10, count: 300)
        let a = Partitioner(kind: .lpt, cost: Self.model).assign(costs: costs, owners: costs.map { _ in 0 }, speeds: [2, 1])
        var work = [0.0, 0.0]
        for (i, r) in a.rankOf.enumerated() { work[r] += costs[i] }
        #expect(work == [2000, 1000] && a.loads == [1000, 1000])
    }

    @Test func costFitRecoversAlphaBeta() throws {
        let truth = CostModel(alpha: 3e-7, beta: 2e-10)
        let lengths = [256, 512, 1024, 2048]
        let seqs = lengths.map { 8192 / $0 }
        let exact = zip(lengths, seqs).map { Double($1) * truth.cost($0) }
        let fit = try CostModel.fit(lengths: lengths, sequences: seqs, seconds: exact)
        #expect(abs(fit.alpha - truth.alpha) < 1e-12 * 1e3 && abs(fit.beta / truth.beta - 1) < 1e-9)
        // Noisy timings (±2%, seeded) still land near the truth; the time of an 8k-token step within 3%.
        var rng = Xoshiro256(seed: 3)
        let noisy = exact.map { $0 * (0.98 + 0.04 * rng.nextDouble()) }
        let f2 = try CostModel.fit(lengths: lengths, sequences: seqs, seconds: noisy)
        #expect(abs(f2.cost(1024) * 8 / (truth.cost(1024) * 8) - 1) < 0.03)
        #expect(errorMessage { _ = try CostModel.fit(lengths: [256, 256], sequences: [1, 1], seconds: [1, 1]) }?.contains("two different lengths") == true)
    }

    @Test func speedEstimatorLearnsTrueSpeeds() {
        let truth = [1.0, 2.0, 0.5, 1.5]
        var est = SpeedEstimator(ranks: 4, updateEvery: 3)
        var rng = Xoshiro256(seed: 4)
        var updates = 0
        for _ in 0..<60 {
            // Work at speed 1, the loads the partition predicts with the current factors, and the true times.
            let work = (0..<4).map { _ in 100 + 50 * rng.nextDouble() }
            let loads = zip(work, est.speeds).map { $0 / $1 }
            if est.record(costs: loads, seconds: zip(work, truth).map { $0 / $1 }) { updates += 1 }
        }
        #expect(updates == 20)
        let mean = truth.reduce(0, +) / 4
        for r in 0..<4 { #expect(abs(est.speeds[r] - truth[r] / mean) < 1e-4, "\(est.speeds)") }
        est.restore(speeds: [1, 1, 1, 1])
        #expect(est.speeds == [1, 1, 1, 1])
        var off = SpeedEstimator(ranks: 2, updateEvery: 0)
        #expect(!off.record(costs: [1, 1], seconds: [1, 2]) && off.speeds == [1, 1])
    }
}
