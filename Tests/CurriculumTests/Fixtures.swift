import Curriculum
import Support

/// Synthetic layout counts for the tests: buckets min...max, `shards` shards, counts chosen by a seeded RNG.
func syntheticBuckets(min lo: Int = 4, max hi: Int = 7, shards: Int, sequencesPerShard: (Int, Int) -> Int) -> [LayoutCounts] {
    (lo...hi).map { k in
        LayoutCounts(kind: .bucket(k), tokensPerSequence: (1 << k) + 1,
                     trainCounts: (0..<shards).map { sequencesPerShard(k, $0) })
    }
}

/// A curriculum config for tests.
func testConfig(_ batching: Batching = .bucket, schedule: Schedule = .growP2, cycles: Int = 2, tokensPerStep: Int = 1024,
                weights: WeightRule = .odds, seed: UInt64 = 7) -> CurriculumConfig {
    var c = CurriculumConfig()
    c.batching = batching
    c.schedule = schedule
    c.cycles = cycles
    c.tokensPerStep = tokensPerStep
    c.weights = weights
    c.seed = seed
    return c
}

/// Parses a JSON text into a curriculum config.
func parseConfig(_ text: String) throws -> CurriculumConfig {
    try CurriculumConfig.parse(try ConfigReader(try JSONParser.parse(text), path: "curriculum"))
}

/// The error message a throwing expression gives, or nil when it does not throw.
func errorMessage(_ body: () throws -> Void) -> String? {
    do { try body(); return nil } catch let e as DDError { return e.message } catch { return "\(error)" }
}
