import Testing
import Support
@testable import Curriculum

@Suite struct ConfigAndOddsTests {
    @Test func defaultsAndFullParse() throws {
        let d = try parseConfig("{}")
        #expect(d.batching == .bucket && d.schedule == .growP2 && d.cycles == 8 && d.weights == .odds && d.mixture == .natural)
        let c = try parseConfig("""
            {"batching": "mixed", "context_length": 1024, "mixture": {"8": 1000, "9": 3000}, "buckets": [9, 8],
             "schedule": "odds", "odds": [3, 1], "cycles": 3, "weights": "batches_x_odds", "tokens_per_step": 4096,
             "total_tokens": 100000, "seed": 5,
             "balance": {"partitioner": "karmarkar_karp", "alpha": 2, "beta": 0.5, "calibrate": true, "speed_update_every": 4, "locality": false}}
            """)
        #expect(c.batching == .mixed && c.contextLength == 1024 && c.mixture == .explicit([8: 1000, 9: 3000]))
        #expect(c.buckets == [8, 9] && c.odds == [3, 1] && c.cycles == 3 && c.weights == .batchesTimesOdds)
        #expect(c.tokensPerStep == 4096 && c.totalTokens == 100000 && c.seed == 5)
        #expect(c.balance.partitioner == .karmarkarKarp && c.balance.cost == CostModel(alpha: 2, beta: 0.5))
        #expect(c.balance.calibrate && c.balance.speedUpdateEvery == 4 && !c.balance.locality)
    }

    @Test func badInputNamesTheKey() {
        let cases: [(String, String)] = [
            ("{\"cycels\": 2}", "curriculum.cycels"),
            ("{\"balance\": {\"alfa\": 1}}", "curriculum.balance.alfa"),
            ("{\"schedule\": \"grow\"}", "curriculum.schedule"),
            ("{\"odds\": [1, 2]}", "curriculum.odds"),
            ("{\"schedule\": \"odds\", \"odds\": [1, -2]}", "curriculum.odds[1]"),
            ("{\"mixture\": \"weird\"}", "curriculum.mixture"),
            ("{\"mixture\": {\"x\": 1}}", "curriculum.mixture.x"),
            ("{\"cycles\": 0}", "curriculum.cycles"),
            ("{\"buckets\": [8, 8]}", "curriculum.buckets"),
            ("{\"balance\": {\"alpha\": 0, \"beta\": 0}}", "curriculum.balance.alpha"),
        ]
        for (text, key) in cases {
            let m = errorMessage { _ = try parseConfig(text) }
            #expect(m?.contains("'\(key)'") == true, "\(text) -> \(m ?? "no error")")
            #expect(m?.contains("\n") == false)
        }
    }

    /// The odds table of method.md §4 for buckets 8..13, written out by hand.
    @Test func oddsTablesOfTheMethod() throws {
        let ks = Array(8...13)
        #expect(try Odds.table(.uniform, buckets: ks) == [1, 1, 1, 1, 1, 1])
        #expect(try Odds.table(.growLinear, buckets: ks) == [6, 5, 4, 3, 2, 1])
        #expect(try Odds.table(.growP2, buckets: ks) == [32, 16, 8, 4, 2, 1])
        #expect(try Odds.table(.growP100, buckets: ks) == [1e10, 1e8, 1e6, 1e4, 100, 1])
        #expect(try Odds.table(.shrinkLinear, buckets: ks) == [1, 2, 3, 4, 5, 6])
        #expect(try Odds.table(.shrinkP2, buckets: ks) == [1, 2, 4, 8, 16, 32])
        #expect(try Odds.table(.shrinkP100, buckets: ks) == [1, 100, 1e4, 1e6, 1e8, 1e10])
        #expect(try Odds.table(.explicit, buckets: [8, 9], explicit: [3, 1]) == [3, 1])
        #expect(errorMessage { _ = try Odds.table(.explicit, buckets: [8, 9, 10], explicit: [3, 1]) }?.contains("curriculum.odds") == true)
    }

    @Test func layoutCountsRoundTripAndErrors() throws {
        let l = LayoutCounts(kind: .packed(2048), tokensPerSequence: 2049, trainCounts: [3, 0, 5])
        #expect(try LayoutCounts.parse(l.toJSON(), where: "counts[0]") == l)
        #expect(LayoutKind(name: "bucket8") == .bucket(8) && LayoutKind(name: "concat1024") == .concat(1024) && LayoutKind(name: "bin") == nil)
        let bad = try JSONParser.parse("{\"kind\": \"bucket8\", \"trained_length\": 256, \"train_counts\": [1, -1]}")
        #expect(errorMessage { _ = try LayoutCounts.parse(bad, where: "counts[2]") }?.contains("counts[2].train_counts[1]") == true)
    }
}
