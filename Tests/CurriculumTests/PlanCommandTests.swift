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
            LayoutCounts(kind: .bucket(k), tokensPerSequence: (1 << k) + 1, trainedLength: 1 << k, trainCounts: [Int](repeating: counts[k]!, count: 4))
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
