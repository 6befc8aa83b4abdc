import Testing
import Support
@testable import Curriculum

@Suite struct BucketScheduleTests {
    /// Buckets 2^4..2^7 on 4 shards with uneven, seeded counts (about equal tokens per bucket, like long documents).
    static func layouts(shards: Int = 4) -> [LayoutCounts] {
        var rng = Xoshiro256(seed: 99)
        return syntheticBuckets(shards: shards) { k, _ in (1 << (12 - k)) + rng.nextInt(below: 40) }
    }

    @Test func constantTokensAndExactPerCycleBatches() throws {
        let layouts = Self.layouts()
        let cfg = testConfig(cycles: 3, tokensPerStep: 1024)
        let p = try StepPlanner(config: cfg, layouts: layouts, worldSize: 4)
        // Reference: natural mixture of all tokens, whole batches of b tokens, spread evenly over the cycles.
        let batches = layouts.map { $0.totalSequences * $0.trainedLength / 1024 }
        #expect(p.totalSteps == batches.reduce(0, +))
        #expect(p.stepsPerCycle.reduce(0, +) == p.totalSteps)
        for c in 0..<3 {
            var seen = [Int](repeating: 0, count: layouts.count)
            for t in p.steps(ofCycle: c) {
                let plan = p.plan(step: t)
                #expect(plan.tokens == 1024 && plan.layouts.count == 1 && plan.cycle == c)
                #expect(plan.sequences.count == 1024 / layouts[plan.layouts[0]].trainedLength)
                seen[plan.layouts[0]] += 1
            }
            #expect(seen == batches.map { (c + 1) * $0 / 3 - c * $0 / 3 })
        }
    }

    @Test func noReuseWithinAPassAndOnlyTrainSequences() throws {
        let layouts = Self.layouts()
        // 2.5 passes over the data so that buckets wrap into new passes.
        var cfg = testConfig(schedule: .uniform, cycles: 2, tokensPerStep: 512)
        cfg.totalTokens = layouts.reduce(0) { $0 + $1.totalTrainedTokens } * 5 / 2
        let p = try StepPlanner(config: cfg, layouts: layouts, worldSize: 3)
        var streams = [[SequenceRef]](repeating: [], count: layouts.count)
        for t in 0..<p.totalSteps { for s in p.plan(step: t).sequences { streams[s.layout].append(s) } }
        for (l, stream) in streams.enumerated() {
            let size = layouts[l].totalSequences
            #expect(stream.count >= 2 * size)
            for s in stream {
                #expect(s.index >= 0 && s.index < layouts[l].trainCounts[s.shard] && s.length == layouts[l].trainedLength)
            }
            // Every full pass is exactly the set of all sequences; a partial pass has no duplicate.
            var start = 0
            while start < stream.count {
                let pass = stream[start..<min(start + size, stream.count)]
                let keys = Set(pass.map { $0.shard * 1_000_000 + $0.index })
                #expect(keys.count == pass.count)
                if pass.count == size { #expect(keys.count == size) }
                start += size
            }
            // Later passes are reshuffled, not repeats of the first.
            #expect(Array(stream[0..<size]) != Array(stream[size..<2 * size]))
        }
    }

    @Test func randomAccessIsPure() throws {
        let layouts = Self.layouts()
        let cfg = testConfig(cycles: 2)
        let a = try StepPlanner(config: cfg, layouts: layouts, worldSize: 4)
        let b = try StepPlanner(config: cfg, layouts: layouts, worldSize: 4)
        let forward = (0..<a.totalSteps).map { a.plan(step: $0) }
        for t in stride(from: a.totalSteps - 1, through: 0, by: -3) { #expect(b.plan(step: t) == forward[t]) }
        let other = try StepPlanner(config: testConfig(cycles: 2, seed: 8), layouts: layouts, worldSize: 4)
        #expect((0..<other.totalSteps).map { other.plan(step: $0) } != forward)
    }

    /// The mean trained length of a window of steps, averaged over every cycle.
    static func meanLengthByThird(_ p: StepPlanner) -> [Double] {
        var sums = [0.0, 0.0, 0.0], counts = [0.0, 0.0, 0.0]
        for c in 0..<p.cycles {
            let steps = p.steps(ofCycle: c)
            for t in steps {
                let third = min(2, 3 * (t - steps.lowerBound) / steps.count)
                let plan = p.plan(step: t)
                sums[third] += Double(plan.tokens) / Double(plan.sequences.count)
                counts[third] += 1
            }
        }
        return zip(sums, counts).map { $0 / $1 }
    }

    @Test func growRisesAndShrinkFallsThroughEachCycle() throws {
        let layouts = Self.layouts()
        for rule in [WeightRule.odds, .batchesTimesOdds] {
            let grow = Self.meanLengthByThird(try StepPlanner(config: testConfig(schedule: .growP2, cycles: 3, weights: rule), layouts: layouts, worldSize: 2))
            #expect(grow[0] < grow[1] && grow[1] < grow[2], "grow \(grow)")
            let shrink = Self.meanLengthByThird(try StepPlanner(config: testConfig(schedule: .shrinkP2, cycles: 3, weights: rule), layouts: layouts, worldSize: 2))
            #expect(shrink[0] > shrink[1] && shrink[1] > shrink[2], "shrink \(shrink)")
        }
    }

    /// The first step's bucket over many seeds follows the weights of method.md §4: o_i (paper) or B_i·o_i (reference code).
    @Test func firstPickFollowsTheWeightRule() throws {
        // Buckets with unequal batch counts: 8, 4, 2 and 1 batches of 1024 tokens in the single cycle.
        let layouts = (4...7).map { k in
            LayoutCounts(kind: .bucket(k), tokensPerSequence: (1 << k) + 1, trainCounts: [(8192 >> (k - 4)) >> k])
        }
        let odds = [1.0, 2, 3, 4]
        for rule in [WeightRule.odds, .batchesTimesOdds] {
            var cfg = testConfig(schedule: .explicit, cycles: 1, tokensPerStep: 1024, weights: rule)
            cfg.odds = odds
            var hits = [0.0, 0, 0, 0]
            let trials = 4000
            for s in 0..<trials {
                cfg.seed = UInt64(s)
                let p = try StepPlanner(config: cfg, layouts: layouts, worldSize: 1)
                hits[p.plan(step: 0).layouts[0]] += 1
            }
            let batches = [8.0, 4, 2, 1]
            let w = rule == .odds ? odds : zip(batches, odds).map { $0 * $1 }
            let total = w.reduce(0, +)
            for i in 0..<4 {
                let expected = w[i] / total, got = hits[i] / Double(trials)
                // 5 standard deviations of a binomial proportion.
                #expect(abs(got - expected) < 5 * (expected * (1 - expected) / Double(trials)).squareRoot(), "\(rule) bucket \(i): \(got) vs \(expected)")
            }
        }
    }

    @Test func ownersContributeEquallyWhenTheyCan() throws {
        // 4 shards with equal counts, world 4: every step takes b/2^k/4 from each owner except where a pass wraps.
        let layouts = syntheticBuckets(shards: 4) { k, _ in 1 << (12 - k) }
        let p = try StepPlanner(config: testConfig(cycles: 1, tokensPerStep: 1024), layouts: layouts, worldSize: 4)
        var unequal = 0
        for t in 0..<p.totalSteps {
            let plan = p.plan(step: t)
            var per = [0, 0, 0, 0]
            for s in plan.sequences { per[p.owner(s)] += 1 }
            if Set(per).count != 1 { unequal += 1 }
        }
        #expect(unequal == 0)
        // Shards beyond the world size fold onto ranks: 6 shards on 3 ranks.
        let six = syntheticBuckets(shards: 6) { k, _ in 1 << (11 - k) }
        let q = try StepPlanner(config: testConfig(cycles: 1, tokensPerStep: 768), layouts: six.filter { 768 % $0.trainedLength == 0 }, worldSize: 3)
        for t in 0..<q.totalSteps {
            var per = [0, 0, 0]
            for s in q.plan(step: t).sequences { per[q.owner(s)] += 1 }
            #expect(Set(per).count == 1)
        }
    }

    @Test func dataErrorsNameTheKey() {
        let layouts = Self.layouts()
        #expect(errorMessage { _ = try StepPlanner(config: testConfig(tokensPerStep: 100), layouts: layouts, worldSize: 2) }?
            .contains("curriculum.tokens_per_step") == true)
        var c = testConfig()
        c.buckets = [4, 12]
        #expect(errorMessage { _ = try StepPlanner(config: c, layouts: layouts, worldSize: 2) }?.contains("curriculum.buckets") == true)
        c = testConfig()
        c.batching = .packed
        #expect(errorMessage { _ = try StepPlanner(config: c, layouts: layouts, worldSize: 2) }?.contains("curriculum.context_length") == true)
        c = testConfig()
        c.totalTokens = 10
        #expect(errorMessage { _ = try StepPlanner(config: c, layouts: layouts, worldSize: 2) }?.contains("curriculum.total_tokens") == true)
    }
}
