import Testing
import Comm
import Support
import TestSupport
@testable import Curriculum
@testable import Trainer

/// The step exchange: every rank must end with exactly the sequences the partition gave it, with the tokens
/// their owners hold. Tokens here are a simple closed formula of (shard, layout, index, position), recomputed
/// by the test, so a sequence delivered to the wrong rank, in the wrong order or with wrong bytes shows.
@Suite(.serialized) struct ExchangeTests {
    static func token(_ s: SequenceRef, _ p: Int) -> Int32 { Int32(s.shard * 10_000_000 + s.layout * 1_000_000 + s.index * 1000 + p) }
    /// Document starts of a sequence, also a closed formula of it (one to three documents).
    static func starts(_ s: SequenceRef) -> [Int] { [0, 1 + s.index % 5, 2 + s.index % 5 + s.shard].prefix(1 + (s.index + s.shard) % 3).map { $0 } }

    /// Runs `steps` planned steps on `world` in-process ranks; returns per rank the (ref, tokens) it got per step.
    static func exchangeInProcess(world: Int, layouts: [LayoutCounts], config: CurriculumConfig, speeds: [Double],
                                  kind: PartitionerKind, steps: Int) throws -> (StepPlanner, [[[ExchangedSequence]]], [Assignment]) {
        let planner = try StepPlanner(config: config, layouts: layouts, worldSize: world)
        let part = Partitioner(kind: kind, cost: config.balance.cost)
        let assignments = (0..<steps).map { part.assign(planner.plan(step: $0), speeds: speeds) }
        let got = try ThreadGroup.run(size: world) { comm -> [[ExchangedSequence]] in
            try (0..<steps).map { t in
                try StepExchange.run(plan: planner.plan(step: t), rankOf: assignments[t].rankOf, comm: comm) { s in
                    guard s.shard % world == comm.rank else { throw DDError("asked rank \(comm.rank) for \(s)") }
                    // Stored lengths vary by sequence here, as packed bins may; so do the document starts.
                    return SequencePayload(tokens: (0..<(layouts[s.layout].tokensPerSequence - s.index % 3)).map { token(s, $0) },
                                           documentStarts: starts(s))
                }
            }
        }
        return (planner, got, assignments)
    }

    @Test func everyRankGetsItsAssignedTokensInProcess() throws {
        let world = 3
        // Unequal owners: 5 shards on 3 ranks, and ranks of speed 1, 2 and 0.5.
        var rng = Xoshiro256(seed: 21)
        let layouts = syntheticBuckets(shards: 5) { k, s in (1 << (10 - k)) * (1 + s) + rng.nextInt(below: 5) }
        for kind in [PartitionerKind.lpt, .karmarkarKarp] {
            let (planner, got, assignments) = try Self.exchangeInProcess(world: world, layouts: layouts, config: testConfig(.mixed, cycles: 1),
                                                                         speeds: [1, 2, 0.5], kind: kind, steps: 12)
            var moved = 0
            for t in 0..<12 {
                let plan = planner.plan(step: t)
                for r in 0..<world {
                    let want = plan.sequences.indices.filter { assignments[t].rankOf[$0] == r }.map { plan.sequences[$0] }
                    #expect(got[r][t].map(\.ref) == want, "step \(t) rank \(r)")
                    for g in got[r][t] {
                        #expect(g.tokens == (0..<(layouts[g.ref.layout].tokensPerSequence - g.ref.index % 3)).map { Self.token(g.ref, $0) })
                        #expect(g.documentStarts == Self.starts(g.ref), "document starts of \(g.ref)")
                    }
                }
                moved += assignments[t].moved
            }
            #expect(moved > 0)
        }
    }

    @Test func balancedBucketStepsMoveNothingAndStillDeliver() throws {
        let layouts = syntheticBuckets(shards: 4) { k, _ in 1 << (11 - k) }
        let (planner, got, assignments) = try Self.exchangeInProcess(world: 4, layouts: layouts, config: testConfig(cycles: 1),
                                                                     speeds: [1, 1, 1, 1], kind: .lpt, steps: 6)
        for t in 0..<6 {
            #expect(assignments[t].moved == 0)
            for r in 0..<4 { #expect(got[r][t].allSatisfy { $0.ref.shard % 4 == r } && got[r][t].count == planner.plan(step: t).sequences.count / 4) }
        }
    }

    @Test func badAssignmentIsAnError() throws {
        let layouts = syntheticBuckets(shards: 2) { k, _ in 1 << (10 - k) }
        let planner = try StepPlanner(config: testConfig(cycles: 1), layouts: layouts, worldSize: 1)
        let plan = planner.plan(step: 0)
        let m = errorMessage { _ = try StepExchange.run(plan: plan, rankOf: [0], comm: SingleProcessCommunicator()) { _ in SequencePayload(tokens: []) } }
        #expect(m?.contains("assignments for") == true)
        let m2 = errorMessage { _ = try StepExchange.run(plan: plan, rankOf: plan.sequences.map { _ in 1 }, comm: SingleProcessCommunicator()) { _ in SequencePayload(tokens: []) } }
        #expect(m2?.contains("outside 0..<1") == true)
    }

    /// `ddtrain selftest exchange` under mpirun: the ranks check their received tokens against the synthetic
    /// formula themselves and exit non-zero on any difference.
    @Test(arguments: [2, 3]) func selftestUnderMPI(ranks: Int) throws {
        let res = try MPIRunner.mpirun(ranks, ["selftest", "exchange", "--steps", "16"], timeout: 60)
        #expect(res.status == 0, "mpirun failed: \(res.stderr)")
        #expect(res.stdout.contains("selftest exchange: \(ranks) ranks, 16 steps"), "\(res.stdout)")
        #expect(res.stdout.contains("received byte for byte") && !res.stdout.contains(" 0 sequences"), "\(res.stdout)")
    }
}

/// Synthetic bucket layouts (buckets lo...hi over `shards` shards), as the curriculum tests build them.
private func syntheticBuckets(min lo: Int = 4, max hi: Int = 7, shards: Int, sequencesPerShard: (Int, Int) -> Int) -> [LayoutCounts] {
    (lo...hi).map { k in LayoutCounts(kind: .bucket(k), tokensPerSequence: (1 << k) + 1, trainCounts: (0..<shards).map { sequencesPerShard(k, $0) }) }
}

/// A curriculum config for the exchange tests.
private func testConfig(_ batching: Batching = .bucket, cycles: Int = 2) -> CurriculumConfig {
    var c = CurriculumConfig()
    c.batching = batching
    c.schedule = .growP2
    c.weights = .odds
    c.cycles = cycles
    c.tokensPerStep = 1024
    c.seed = 7
    return c
}

/// The error message a throwing expression gives, or nil when it does not throw.
private func errorMessage(_ body: () throws -> Void) -> String? {
    do { try body(); return nil } catch let e as DDError { return e.message } catch { return "\(error)" }
}
