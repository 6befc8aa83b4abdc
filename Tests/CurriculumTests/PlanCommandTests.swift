import Foundation
import Testing
import Support
import TestSupport
@testable import Curriculum

/// `ddtrain plan` end to end, on counts the test writes and checks by its own arithmetic.
@Suite(.serialized) struct PlanCommandTests {
    @Test func planReportsStepsCyclesAndMoves() throws {
        let dir = MPIRunner.temporaryDirectory("plan")
        // Buckets 2^6..2^9, 4 equal shards: b = 2048 tokens per step, 2 cycles.
        let counts = [6: 256, 7: 128, 8: 64, 9: 40]
        let layouts = counts.keys.sorted().map { k in
            LayoutCounts(kind: .bucket(k), tokensPerSequence: (1 << k) + 1, trainCounts: [Int](repeating: counts[k]!, count: 4))
        }
        try JSON.array(layouts.map { $0.toJSON() }).compact.write(toFile: dir + "/counts.json", atomically: true, encoding: .utf8)
        try "{\"curriculum\": {\"tokens_per_step\": 2048, \"cycles\": 2}, \"model\": {\"dim\": 64}}"
            .write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        let res = try MPIRunner.ddtrain(["plan", "--world", "4", "--config", dir + "/config.json", "--counts", dir + "/counts.json", "--json", "--steps", "5"])
        #expect(res.status == 0, "\(res.stderr)")
        let j = try JSONParser.parse(res.stdout)
        let expectedSteps = counts.reduce(0) { $0 + 4 * $1.value * (1 << $1.key) / 2048 }
        #expect(j["total_steps"]?.intValue == expectedSteps)
        #expect(j["steps_per_cycle"]?.arrayValue?.compactMap(\.intValue).reduce(0, +) == expectedSteps)
        #expect(j["steps"]?.arrayValue?.count == 5)
        for c in j["cycles"]?.arrayValue ?? [] {
            // Equal shards and steps of ≥ 4 sequences: every owner supplies its share, nothing moves.
            #expect(c["moved_tokens_max"]?.intValue == 0 && c["imbalance_max"]?.doubleValue == 1)
            let tenths = c["mean_length_by_tenth"]?.arrayValue?.compactMap(\.doubleValue) ?? []
            #expect(tenths.count == 10 && tenths.allSatisfy { $0 >= 64 && $0 <= 512 })
        }
        let bad = try MPIRunner.ddtrain(["plan", "--world", "4", "--speeds", "1,2"])
        #expect(bad.status == 2 && bad.stderr.contains("--speeds"))
        try "[{\"kind\": \"bucketX\"}]".write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
        let badFile = try MPIRunner.ddtrain(["plan", "--world", "2", "--counts", dir + "/bad.json"])
        #expect(badFile.status == 1 && badFile.stderr.contains("bad.json[0].kind"), "\(badFile.stderr)")
    }

    /// Steps of buckets 2^10 and 2^11 at 2,048 tokens hold 2 and 1 sequences, fewer than the 4 ranks: they are
    /// counted apart, each at max/mean = 4 / sequences (one rank per equal sequence, the others idle), while the
    /// time-weighted figure of the cycle is Σ slowest ÷ Σ mean over all its steps.
    @Test func shortStepsAreCountedApartAndTheCycleIsTimeWeighted() throws {
        let dir = MPIRunner.temporaryDirectory("plan-short")
        let layouts = (6...11).map { k in
            LayoutCounts(kind: .bucket(k), tokensPerSequence: (1 << k) + 1,
                         trainCounts: [Int](repeating: 1 << (13 - k), count: 4))
        }
        try JSON.array(layouts.map { $0.toJSON() }).compact.write(toFile: dir + "/counts.json", atomically: true, encoding: .utf8)
        try "{\"curriculum\": {\"tokens_per_step\": 2048, \"cycles\": 2}}".write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        let res = try MPIRunner.ddtrain(["plan", "--world", "4", "--config", dir + "/config.json", "--counts", dir + "/counts.json",
                                         "--json", "--steps", "100000"])
        try #require(res.status == 0, "\(res.stderr)")
        let j = try JSONParser.parse(res.stdout)
        let steps = try #require(j["steps"]?.arrayValue)
        let cycles = try #require(j["cycles"]?.arrayValue)
        #expect(steps.count == j["total_steps"]?.intValue && cycles.count == 2)
        for c in cycles {
            let mine = steps.filter { $0["cycle"]?.intValue == c["cycle"]?.intValue }
            func ratio(_ s: JSON) -> Double { s["max_cost"]!.doubleValue! / s["mean_cost"]!.doubleValue! }
            let short = mine.filter { $0["sequences"]!.intValue! < 4 }, full = mine.filter { $0["sequences"]!.intValue! >= 4 }
            #expect(short.count == c["short_steps"]?.intValue && short.count > 0 && full.count > 0)
            for s in short { #expect(abs(ratio(s) - 4 / Double(s["sequences"]!.intValue!)) < 1e-9, "short step \(s.compact)") }
            #expect(c["short_imbalance_max"]?.doubleValue == 4 && c["imbalance_max"]?.doubleValue == 1)
            let sum = { (list: [JSON], key: String) in list.reduce(0.0) { $0 + $1[key]!.doubleValue! } }
            let weighted = sum(mine, "max_cost") / sum(mine, "mean_cost")
            #expect(abs((c["imbalance_time_weighted"]?.doubleValue ?? 0) - weighted) < 1e-9 * weighted)
            #expect(abs((c["short_imbalance_time_weighted"]?.doubleValue ?? 0) - sum(short, "max_cost") / sum(short, "mean_cost")) < 1e-9)
            #expect(weighted > 1 && weighted < 4)
        }
        // The run's 2^10 sequences (4 shards × 8) go 2 to a step, its 2^11 ones (4 × 4) alone: 16 + 16 short steps.
        #expect(cycles.compactMap { $0["short_steps"]?.intValue }.reduce(0, +) == 32)
        let text = try MPIRunner.ddtrain(["plan", "--world", "4", "--config", dir + "/config.json", "--counts", dir + "/counts.json"])
        #expect(text.status == 0 && text.stdout.contains("short steps (count, time-weighted, worst)"), "\(text.stdout)")
    }

    @Test func syntheticCountsHoldEqualTokensPerBucket() {
        let l = syntheticLayoutCounts(minBucket: 8, maxBucket: 11, sequences: 15_000, shards: 3, skew: 1)
        let perBucket = l.map(\.totalSequences)
        #expect(perBucket == [8000, 4000, 2000, 1000])
        // Shard weights 1, 1.5, 2 of 4.5.
        #expect(l.allSatisfy { $0.trainCounts.count == 3 })
        #expect(abs(Double(l[0].trainCounts[2]) / Double(l[0].trainCounts[0]) - 2) < 0.01)
    }
}

/// The timing commands run end to end on a tiny model (their figures are timings, so only their shape is checked).
@Suite(.serialized) struct TimingCommandTests {
    @Test func calibrateAndBenchBalanceRun() throws {
        let dir = MPIRunner.temporaryDirectory("calib")
        try "{\"model\": {\"layers\": 1, \"dim\": 32, \"heads\": 1}}".write(toFile: dir + "/c.json", atomically: true, encoding: .utf8)
        let c = try MPIRunner.ddtrain(["calibrate", "--config", dir + "/c.json", "--lengths", "16,64", "--tokens", "256", "--repeat", "1", "--json"])
        #expect(c.status == 0, "\(c.stderr)")
        let cj = try JSONParser.parse(c.stdout)
        #expect((cj["alpha"]?.doubleValue ?? -1) >= 0 && (cj["beta"]?.doubleValue ?? -1) >= 0 && cj["seconds"]?.arrayValue?.count == 2)
        let b = try MPIRunner.ddtrain(["bench", "balance", "--steps", "2", "--tokens", "512", "--buckets", "4,6", "--repeat", "1",
                                       "--set", "layers=1", "--set", "dim=32", "--set", "heads=1", "--json"])
        #expect(b.status == 0, "\(b.stderr)")
        let bj = try JSONParser.parse(b.stdout)
        #expect(bj["steps"]?.arrayValue?.count == 2 && (bj["mean_balanced"]?.doubleValue ?? 0) >= 1)
        let bad = try MPIRunner.ddtrain(["calibrate", "--lengths", "64"])
        #expect(bad.status == 2 && bad.stderr.contains("--lengths"))
    }
}
