import Testing
@testable import Corpus
@testable import Support

/// Degenerate corpora are refused at prepare time: one error line naming the config key and the fix, and no
/// manifest or shard left in the output folder.
@Suite struct TrainableDataTests {
    /// Prepares `documents` (JSON Lines, byte tokens) on 2 shards with buckets `minBucket...maxBucket` and returns
    /// the error's message and what the output folder holds afterwards.
    func refusal(_ documents: [String], minBucket: Int = 4, maxBucket: Int = 6, validFraction: Double = 0,
                 seed: UInt64 = 0) throws -> (message: String, left: [String]) {
        let dir = TestFiles.makeTemporaryDirectory()
        defer { TestFiles.remove(dir) }
        TestFiles.write(documents.map { JSON.obj(["text": .string($0)]).compact + "\n" }.joined(), to: dir + "/corpus.jsonl")
        var s = PrepareSettings()
        s.sources = [dir + "/corpus.jsonl"]
        s.directory = dir + "/out"
        s.decomposition = DecompositionConfig(minBucket: minBucket, maxBucket: maxBucket, seed: seed)
        s.validFraction = validFraction
        let error = try #require(throws: DDError.self) { try Preparer.prepareInProcess(settings: s, worldSize: 2) }
        return (error.message, try FileIO.listDirectory(s.directory))
    }

    @Test func aCorpusWithNoDocumentsIsRefused() throws {
        let (message, left) = try refusal([])
        #expect(message.contains("'data.sources'") && message.contains("holds no documents") && message.contains("(fix: "), "\(message)")
        #expect(left.isEmpty, "\(left)")
    }

    @Test func documentsShorterThanTheSmallestBucketAreRefused() throws {
        // 5 bytes + end-of-text = 6 tokens (histogram bin 2: 4..<8); a reference piece of bucket 4 needs 17.
        let (message, left) = try refusal(["hello", "world", "abc"])
        #expect(message.contains("'data.min_bucket'") && message.contains("no document is long enough"), "\(message)")
        #expect(message.contains("needs 17 tokens") && message.contains("fewer than 8"), "\(message)")
        // The largest bucket whose reference piece (2^k + 1 tokens) fits a 4-token document is k = 1.
        #expect(message.contains("(fix: set data.min_bucket to 1 or lower"), "\(message)")
        #expect(left.isEmpty, "\(left)")
    }

    @Test func aBucketRangeAboveEveryDocumentIsRefused() throws {
        // 501 tokens (histogram bin 8: 256..<512): the largest bucket sure to fit is 7 (129-token pieces ≤ 256).
        let (message, left) = try refusal([String(repeating: "text ", count: 100)], minBucket: 12, maxBucket: 14)
        #expect(message.contains("buckets 12...14 leave nothing to train on") && message.contains("(fix: set data.min_bucket to 7"), "\(message)")
        #expect(left.isEmpty, "\(left)")
    }

    @Test func aSplitThatHoldsOutEveryPieceIsRefused() throws {
        // One long document and a seed that holds it out (found with the split rule, not with the check under test).
        var s = PrepareSettings()
        s.validFraction = 0.5
        let seed = try #require((0..<64).first { seed in
            s.decomposition.seed = UInt64(seed)
            return s.isValidation(documentID: 0)
        })
        let (message, left) = try refusal([String(repeating: "text ", count: 100)], validFraction: 0.5, seed: UInt64(seed))
        #expect(message.contains("'data.valid_fraction'") && message.contains("held out for validation (1 of 1"), "\(message)")
        #expect(left.isEmpty, "\(left)")
    }

    @Test func oneTrainingPieceIsEnough() throws {
        let dir = TestFiles.makeTemporaryDirectory()
        defer { TestFiles.remove(dir) }
        TestFiles.write(JSON.obj(["text": .string(String(repeating: "x", count: 16))]).compact + "\n", to: dir + "/c.jsonl")
        var s = PrepareSettings()
        s.sources = [dir + "/c.jsonl"]
        s.directory = dir + "/out"
        s.decomposition = DecompositionConfig(minBucket: 4, maxBucket: 6)
        s.validFraction = 0
        let manifest = try Preparer.prepareInProcess(settings: s, worldSize: 2)
        #expect(manifest["totals"]?["bucket_train_tokens"]?.intValue == 17)
    }
}
