import Testing
import TestSupport
@testable import Corpus
@testable import Support

/// `ddtrain prepare` and `inspect` as processes, under mpirun with two ranks (one at a time: the suite is serialized).
@Suite(.serialized) struct PrepareCommandTests {
    @Test func twoRanksUnderMPIMatchOneInProcessShard() throws {
        let dir = TestFiles.makeTemporaryDirectory()
        defer { TestFiles.remove(dir) }
        _ = PrepareTests.writeCorpus(dir + "/corpus.jsonl", count: 90)
        TestFiles.write("{\"data\": {\"min_bucket\": 4, \"max_bucket\": 9, \"long_docs\": \"max\", \"valid_fraction\": 0.2, \"seed\": 5}}",
                        to: dir + "/config.json")
        let res = try MPIRunner.mpirun(2, ["prepare", "--config", dir + "/config.json", "--source", dir + "/corpus.jsonl",
                                           "--out", dir + "/mpi", "--baselines", "32", "--json"], timeout: 60)
        #expect(res.status == 0, "\(res.stderr)")
        let summary = try JSONParser.parse(res.stdout.split(separator: "\n").last.map(String.init) ?? "")
        #expect(summary["shards"]?.intValue == 2)

        let s = PrepareTests.settings(dir)  // the same settings, in this process, one shard
        try Preparer.prepareInProcess(settings: s)
        let mpi = try DatasetStore(directory: dir + "/mpi"), one = try DatasetStore(directory: s.directory)
        #expect(mpi.manifest.shardCount == 2)
        #expect(try PrepareTests.bucketPieces(mpi, split: .train) == (try PrepareTests.bucketPieces(one, split: .train)))
        #expect(try PrepareTests.bucketPieces(mpi, split: .valid) == (try PrepareTests.bucketPieces(one, split: .valid)))
        #expect(mpi.manifest.command.contains("prepare --config"))

        let inspect = try MPIRunner.ddtrain(["inspect", dir + "/mpi", "--json", "--verify"], timeout: 60)
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let report = try JSONParser.parse(inspect.stdout.split(separator: "\n").last.map(String.init) ?? "")
        #expect(report["verified"]?["files"]?.intValue == mpi.manifest.files.count)
        #expect(report["layouts"]?.arrayValue?.first?["per_shard_train_sequences"]?.arrayValue?.count == 2)
    }

    @Test func aBadDocumentOnOneRankEndsTheJobWithoutAManifest() throws {
        let dir = TestFiles.makeTemporaryDirectory()
        defer { TestFiles.remove(dir) }
        // Line 4 (document 3, rank 1 of 2) lacks the text field.
        TestFiles.write("{\"text\": \"a\"}\n{\"text\": \"b\"}\n{\"text\": \"c\"}\n{\"body\": \"d\"}\n", to: dir + "/bad.jsonl")
        let res = try MPIRunner.mpirun(2, ["prepare", "--source", dir + "/bad.jsonl", "--out", dir + "/out"], timeout: 60)
        #expect(res.status != 0)
        #expect(res.stderr.contains("bad.jsonl:4"), "\(res.stderr)")
        #expect(res.stderr.contains("no field \"text\""), "\(res.stderr)")
        #expect(!FileIO.exists(dir + "/out/manifest.json"))
        let inspect = try MPIRunner.ddtrain(["inspect", dir + "/out"], timeout: 30)
        #expect(inspect.status != 0)
        #expect(inspect.stderr.contains("no manifest.json"))
    }

    @Test func benchPrepareReportsEveryStage() throws {
        let dir = TestFiles.makeTemporaryDirectory()
        defer { TestFiles.remove(dir) }
        _ = PrepareTests.writeCorpus(dir + "/corpus.jsonl", count: 100)
        let res = try MPIRunner.ddtrain(["bench", "prepare", "--source", dir + "/corpus.jsonl", "--mb", "1",
                                         "--tokenizer-dir", MPIRunner.packageRoot + "/assets/gpt2", "--json"], timeout: 60)
        #expect(res.status == 0, "\(res.stderr)")
        let b = try JSONParser.parse(res.stdout.split(separator: "\n").last.map(String.init) ?? "")
        let stages = b["rows"]?.arrayValue?.compactMap { $0["stage"]?.stringValue } ?? []
        #expect(stages.count == 3 && stages[0].hasPrefix("byte") && stages[1].hasPrefix("gpt2"))
        #expect(b["rows"]?.arrayValue?.allSatisfy { ($0["mb_per_s_per_rank_min"]?.doubleValue ?? 0) > 0 } == true)
        // Byte-level gives one token per byte (+1 end-of-text per document); GPT-2 far fewer.
        let ratios = b["rows"]?.arrayValue?.compactMap { $0["tokens_per_byte"]?.doubleValue } ?? []
        #expect(ratios.count == 3 && ratios[0] > 1 && ratios[0] < 1.05 && ratios[1] < 0.6)
    }
}
