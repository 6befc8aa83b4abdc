import Comm
import Curriculum
import Support
import Trainer

/// The token at `position` of a synthetic stored sequence: a fixed hash of (shard, layout, index, position),
/// so any rank can check what an owner must have sent without holding the data.
func syntheticToken(shard: Int, layout: Int, index: Int, position: Int) -> Int32 {
    Int32(truncatingIfNeeded: SplitMix64.derive(0xE8C4A, UInt64(shard), UInt64(layout), UInt64(index), UInt64(position)) >> 33)
}

/// The synthetic data of the exchange self-test: buckets 2^4..2^7 on size+1 shards of unequal sizes, so rank 0
/// owns two shards and the owners' shares differ.
func exchangeSelftestLayouts(worldSize: Int) -> [LayoutCounts] {
    (4...7).map { k in
        LayoutCounts(kind: .bucket(k), tokensPerSequence: (1 << k) + 1,
                     trainCounts: (0...worldSize).map { s in (1 << (11 - k)) * (1 + s % 3) + 3 * s })
    }
}

/// `ddtrain selftest exchange`: every rank plans mixed-length steps, partitions them with unequal speeds and
/// unequal owner counts (so sequences must move), runs the exchange and checks every received token.
let selftestExchangePart = Subcommand(
    name: "exchange", summary: "plan, balance and exchange mixed-length steps; check every received token",
    help: """
    usage: ddtrain selftest exchange [--steps N]

    Run under mpirun. Every rank builds the same plan of mixed-length steps over synthetic data (buckets 2^4..2^7
    on size+1 shards of unequal sizes), partitions each step with speeds 1, 2, 3, ... (LPT and Karmarkar–Karp in
    turn), and exchanges the tokens, which owners synthesise from (shard, layout, index, position). Every rank
    checks it received exactly its assigned sequences in plan order, byte for byte; any difference exits non-zero.
    """,
    options: ["steps": true]
) { args in
    let comm = try World.communicator()
    let size = comm.size, me = comm.rank
    let layouts = exchangeSelftestLayouts(worldSize: size)
    var config = CurriculumConfig()
    config.batching = .mixed
    config.cycles = 2
    config.tokensPerStep = 1024
    config.seed = 42
    let planner = try StepPlanner(config: config, layouts: layouts, worldSize: size)
    let steps = min(planner.totalSteps, try args.int("steps", default: 24, command: "selftest exchange"))
    let speeds = (0..<size).map { Double($0 + 1) }
    var movedSequences = 0, movedTokens = 0, checked = 0
    for t in 0..<steps {
        let plan = planner.plan(step: t)
        let kind: PartitionerKind = t % 2 == 0 ? .lpt : .karmarkarKarp
        let assignment = Partitioner(kind: kind, cost: config.balance.cost).assign(plan, speeds: speeds)
        let got = try StepExchange.run(plan: plan, rankOf: assignment.rankOf, comm: comm) { s in
            guard s.shard % size == me else { throw DDError("selftest exchange: rank \(me) was asked for \(s), owned by rank \(s.shard % size)") }
            return SequencePayload(tokens: (0..<layouts[s.layout].tokensPerSequence).map {
                syntheticToken(shard: s.shard, layout: s.layout, index: s.index, position: $0)
            }, documentStarts: [0, s.index % 7 + 1])
        }
        let expected = plan.sequences.indices.filter { assignment.rankOf[$0] == me }.map { plan.sequences[$0] }
        guard got.map(\.ref) == expected else {
            throw DDError("selftest exchange: step \(t): rank \(me) holds \(got.count) sequences, the plan assigns it \(expected.count) (or another order)")
        }
        for g in got {
            let want = (0..<layouts[g.ref.layout].tokensPerSequence).map {
                syntheticToken(shard: g.ref.shard, layout: g.ref.layout, index: g.ref.index, position: $0)
            }
            guard g.tokens == want else { throw DDError("selftest exchange: step \(t): rank \(me) received wrong tokens for \(g.ref)") }
            guard g.documentStarts == [0, g.ref.index % 7 + 1] else {
                throw DDError("selftest exchange: step \(t): rank \(me) received wrong document starts for \(g.ref)")
            }
            checked += g.tokens.count
        }
        for (i, s) in plan.sequences.enumerated() where assignment.rankOf[i] != s.shard % size {
            movedSequences += 1
            movedTokens += layouts[s.layout].tokensPerSequence
        }
    }
    let total = try comm.allreduce(Int64(checked), op: .sum)
    let planned = (0..<steps).reduce(0) { acc, t in acc + planner.plan(step: t).sequences.reduce(0) { $0 + layouts[$1.layout].tokensPerSequence } }
    guard total == Int64(planned) else {
        throw DDError("selftest exchange: the ranks received \(total) tokens in all, the plan has \(planned)")
    }
    guard size == 1 || movedSequences > 0 else {
        throw DDError("selftest exchange: no sequence moved in \(steps) steps, so the exchange went untested (fix: the self-test data must force moves)")
    }
    if me == 0 {
        print("selftest exchange: \(size) ranks, \(steps) steps, \(movedSequences) sequences (\(movedTokens) tokens) moved, all \(total) tokens received byte for byte")
    }
    return 0
}
