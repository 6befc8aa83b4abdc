import Testing
import Support
@testable import Curriculum

@Suite struct MixedAndBaselineTests {
    @Test func mixedStepsFillTheBudgetAndConsumeEachCycleExactly() throws {
        let layouts = BucketScheduleTests.layouts()
        let cycles = 3
        let p = try StepPlanner(config: testConfig(.mixed, cycles: cycles, tokensPerStep: 1024), layouts: layouts, worldSize: 4)
        // Reference: all sequences (natural mixture of every token), spread evenly over the cycles.
        let perBucket = layouts.map(\.totalSequences)
        var multiLength = 0
        for c in 0..<cycles {
            var seen = [Int](repeating: 0, count: layouts.count)
            let steps = p.steps(ofCycle: c)
            for t in steps {
                let plan = p.plan(step: t)
                #expect(plan.tokens <= 1024 && plan.tokens > 0)
                if Set(plan.sequences.map(\.length)).count > 1 { multiLength += 1 }
                for s in plan.sequences { seen[s.layout] += 1 }
                // A step is short only when no bucket with sequences left in this cycle fits the remaining space.
                let space = 1024 - plan.tokens
                for i in layouts.indices where seen[i] < (c + 1) * perBucket[i] / cycles - c * perBucket[i] / cycles {
                    #expect(layouts[i].trainedLength > space, "step \(t) short by \(space) while bucket \(i) fits")
                }
            }
            #expect(seen == perBucket.map { (c + 1) * $0 / cycles - c * $0 / cycles })
        }
        #expect(multiLength > p.totalSteps / 2)
    }

    @Test func mixedGrowRises() throws {
        let p = try StepPlanner(config: testConfig(.mixed, schedule: .growP2, cycles: 2), layouts: BucketScheduleTests.layouts(), worldSize: 2)
        let m = BucketScheduleTests.meanLengthByThird(p)
        #expect(m[0] < m[2], "\(m)")
    }

    @Test func baselinesTakeBOverLSequencesOfTheirLayout() throws {
        let layouts = BucketScheduleTests.layouts() + [
            LayoutCounts(kind: .concat(256), tokensPerSequence: 257, trainCounts: [30, 31, 29]),
            LayoutCounts(kind: .packed(256), tokensPerSequence: 257, trainCounts: [20, 0, 25]),
        ]
        for (batching, layout, total) in [(Batching.concat, 4, 90), (.concatMasked, 4, 90), (.packed, 5, 45)] {
            var c = testConfig(batching, tokensPerStep: 2048)
            c.contextLength = 256
            let p = try StepPlanner(config: c, layouts: layouts, worldSize: 2)
            #expect(p.totalSteps == total * 256 / 2048 && p.cycles == 1)
            var seen = Set<SequenceRef>()
            for t in 0..<p.totalSteps {
                let plan = p.plan(step: t)
                #expect(plan.sequences.count == 8 && plan.sequences.allSatisfy { $0.layout == layout && $0.length == 256 })
                #expect(plan.documentMasking == (batching != .concat))
                for s in plan.sequences { #expect(s.index < layouts[layout].trainCounts[s.shard]); seen.insert(s) }
            }
            #expect(seen.count == p.totalSteps * 8)
        }
    }

    @Test func mixturesSetTheTokensPerBucket() throws {
        let layouts = BucketScheduleTests.layouts()
        var c = testConfig(cycles: 1)
        c.mixture = .equal
        c.totalTokens = 40 * 1024
        var p = try StepPlanner(config: c, layouts: layouts, worldSize: 1)
        #expect(p.plannedTokens == [10240, 10240, 10240, 10240] && p.totalSteps == 40)
        c.mixture = .explicit([5: 3, 7: 1])
        p = try StepPlanner(config: c, layouts: layouts, worldSize: 1)
        #expect(p.activeLayouts == [1, 3] && p.plannedTokens == [30720, 10240])
        c.mixture = .natural
        c.buckets = [6, 7]
        c.totalTokens = 0
        p = try StepPlanner(config: c, layouts: layouts, worldSize: 1)
        #expect(p.activeLayouts == [2, 3] && p.plannedTokens == [layouts[2].totalTrainedTokens, layouts[3].totalTrainedTokens])
    }
}

@Suite struct SequenceStreamTests {
    @Test func feistelIsAPermutation() {
        for n in [1, 2, 3, 7, 64, 100, 1000, 4097] {
            let f = FeistelPermutation(n: n, key: UInt64(n) * 31)
            let image = (0..<n).map { f($0) }
            #expect(image.allSatisfy { $0 >= 0 && $0 < n } && Set(image).count == n)
            if n >= 64 { #expect(image != Array(0..<n)) }
        }
        let a = (0..<500).map { FeistelPermutation(n: 500, key: 1)($0) }, b = (0..<500).map { FeistelPermutation(n: 500, key: 2)($0) }
        #expect(a != b)
    }

    /// Owners of a pass follow a naive round robin: in round j every rank with more than j sequences takes a turn,
    /// larger pools first; and the pass names every sequence once.
    @Test func passMatchesNaiveRoundRobin() {
        let counts = [5, 0, 9, 2, 9, 3, 1]
        for world in [1, 2, 3, 5, 7, 10] {
            let layout = LayoutCounts(kind: .bucket(4), tokensPerSequence: 17, trainCounts: counts)
            let stream = SequenceStream(layout: 0, counts: layout, worldSize: world, seed: 3)
            var pool = [Int](repeating: 0, count: world)
            for (s, c) in counts.enumerated() { pool[s % world] += c }
            let ranks = (0..<world).sorted { pool[$0] != pool[$1] ? pool[$0] > pool[$1] : $0 < $1 }
            var expectedOwners: [Int] = []
            for round in 0..<(pool.max() ?? 0) { for r in ranks where pool[r] > round { expectedOwners.append(r) } }
            let pass = (0..<stream.passSize).map { stream.sequence(at: $0) }
            #expect(pass.map { $0.shard % world } == expectedOwners, "world \(world)")
            #expect(Set(pass).count == counts.reduce(0, +) && pass.allSatisfy { $0.index < counts[$0.shard] })
        }
    }
}
