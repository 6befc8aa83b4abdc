import Foundation
import Testing
@testable import Corpus
@testable import Support

@Suite struct PrepareTests {
    /// A JSONL corpus of `count` documents with lengths spread over several powers of two (byte tokens).
    static func writeCorpus(_ path: String, count: Int = 120) -> [String] {
        var rnd = TestRandom(state: 77)
        let words = ["alpha", "beta", "gamma", "délta", "epsilon", "zeta", "ēta", "theta"]
        var docs: [String] = []
        for _ in 0..<count {
            let n = 1 << rnd.int(0...8)
            docs.append((0..<rnd.int(1...n)).map { _ in words[rnd.int(0...7)] }.joined(separator: " "))
        }
        TestFiles.write(docs.map { JSON.obj(["text": .string($0)]).compact }.joined(separator: "\n") + "\n", to: path)
        return docs
    }

    static func settings(_ dir: String, longDocs: LongDocumentRule = .max) -> PrepareSettings {
        var s = PrepareSettings()
        s.sources = [dir + "/corpus.jsonl"]
        s.directory = dir + "/out"
        s.decomposition = DecompositionConfig(minBucket: 4, maxBucket: 9, pieces: .reference, longDocuments: longDocs, seed: 5)
        s.validFraction = 0.2
        s.baselines = [32]
        return s
    }

    /// Every stored bucket sequence of a split, as "bucket:tokens" strings (a multiset when sorted).
    static func bucketPieces(_ store: DatasetStore, split: Split) throws -> [String] {
        var out: [String] = []
        for (li, l) in store.manifest.layouts.enumerated() where l.kind.kindName == "bucket" {
            for shard in 0..<store.manifest.shardCount {
                for i in 0..<store.count(layout: li, shard: shard, split: split) {
                    out.append("\(l.kind.parameter):" + (try store.sequence(layout: li, shard: shard, split: split, index: i)).tokens.map(String.init).joined(separator: ","))
                }
            }
        }
        return out.sorted()
    }

    @Test func oneAndTwoShardsGiveTheSamePiecesAsTheReference() throws {
        let dir = TestFiles.makeTemporaryDirectory()
        defer { TestFiles.remove(dir) }
        let docs = PrepareTests.writeCorpus(dir + "/corpus.jsonl")
        var s1 = PrepareTests.settings(dir)
        s1.directory = dir + "/one"
        try Preparer.prepareInProcess(settings: s1, worldSize: 1)
        var s2 = s1
        s2.directory = dir + "/two"
        // Two ranks run in turn in this process, exactly as the command runs them under mpirun.
        try Preparer.beginOutput(directory: s2.directory)
        let source = try Preparer.makeSource(s2, endOfText: 256)
        let info = TokenizerInfo.known("byte")!
        let summaries = try (0..<2).map {
            try Preparer.prepareShard(settings: s2, source: source, tokenizer: ByteTokenizer(), info: info, rank: $0, worldSize: 2)
        }
        try ManifestBuilder.write(try ManifestBuilder.build(settings: s2, tokenizer: info, summaries: summaries, command: "test"), directory: s2.directory)

        let one = try DatasetStore(directory: s1.directory), two = try DatasetStore(directory: s2.directory)
        #expect(two.manifest.shardCount == 2)

        // A rank's view: a store opened for shard 0 only still opens with every file of shard 1 removed, reads shard 0
        // as the full store does, and refuses shard 1.
        let view = dir + "/view"
        try FileManager.default.copyItem(atPath: s2.directory, toPath: view)
        for f in two.manifest.files where f.name.contains(".shard-0001.") { try FileManager.default.removeItem(atPath: view + "/" + f.name) }
        #expect(throws: DDError.self) { _ = try DatasetStore(directory: view) }
        let mine = try DatasetStore(directory: view, shards: { $0 == 0 })
        for (li, layout) in two.manifest.layouts.enumerated() {
            for i in 0..<min(3, two.count(layout: li, shard: 0, split: .train)) {
                let a = try mine.sequence(layout: li, shard: 0, split: .train, index: i), b = try two.sequence(layout: li, shard: 0, split: .train, index: i)
                #expect(a.tokens == b.tokens && a.documentStarts == b.documentStarts, "\(layout.name) #\(i)")
            }
            if two.count(layout: li, shard: 1, split: .train) > 0 {
                #expect(throws: DDError.self) { _ = try mine.sequence(layout: li, shard: 1, split: .train, index: 0) }
            }
        }
        let train1 = try PrepareTests.bucketPieces(one, split: .train), valid1 = try PrepareTests.bucketPieces(one, split: .valid)
        #expect(train1 == (try PrepareTests.bucketPieces(two, split: .train)))
        #expect(valid1 == (try PrepareTests.bucketPieces(two, split: .valid)))

        // Independent reference: byte tokens + end-of-text, the naive loop of method.md §2 (max rule).
        var expected: [String] = []
        var validDocs = 0
        var perDocSplitsAgree = true
        for d in docs {
            let t = Array(d.utf8).map(Int32.init) + [256]
            let r = referenceDecompose(t.count, min: 4, max: 9, exact: false, pickLong: { 9 })
            let pieces = r.pieces.map { "\($0.1):" + t[$0.0..<($0.0 + (1 << $0.1) + 1)].map(String.init).joined(separator: ",") }
            expected += pieces
            let inValid = pieces.filter { valid1.contains($0) }.count
            if inValid > 0 { validDocs += 1 }
            if inValid != 0 && inValid != pieces.count && Set(pieces).count == pieces.count { perDocSplitsAgree = false }
        }
        #expect((train1 + valid1).sorted() == expected.sorted())
        #expect(perDocSplitsAgree)
        #expect(validDocs > 5 && validDocs < 50)  // ~20 % of 120
        // Counts and tokens add up.
        let m = one.manifest
        #expect(m.documents == docs.count)
        #expect(m.histogramDocuments.reduce(0, +) == docs.count)
        #expect(m.tokens == docs.reduce(0) { $0 + $1.utf8.count + 1 })
        let kept = m.layouts.filter { $0.kind.kindName == "bucket" }.reduce(0) { $0 + $1.shards.reduce(0) { $0 + $1.train.tokens + $1.valid.tokens } }
        #expect(kept + m.discarded.first { $0.0 == "buckets" }!.1 == m.tokens)
    }

    @Test func baselinesRoundTripThroughTheStore() throws {
        let dir = TestFiles.makeTemporaryDirectory()
        defer { TestFiles.remove(dir) }
        let docs = PrepareTests.writeCorpus(dir + "/corpus.jsonl", count: 60)
        var s = PrepareTests.settings(dir)
        s.validFraction = 0
        try Preparer.prepareInProcess(settings: s)
        let store = try DatasetStore(directory: s.directory)
        let stream: [Int32] = docs.flatMap { (d: String) -> [Int32] in d.utf8.map { Int32($0) } + [256] }
        var begins = Set<Int>(), pos = 0
        for d in docs { begins.insert(pos); pos += d.utf8.count + 1 }
        let concat = try store.layoutIndex(named: "concat-32")
        #expect(store.manifest.layouts[concat].tokensPerSequence == 33)
        let n = store.count(layout: concat, shard: 0, split: .train)
        #expect(n == stream.count / 33)
        for i in 0..<n {
            let (t, starts) = try store.sequence(layout: concat, shard: 0, split: .train, index: i)
            let lo: Int = 33 * i
            let want: [Int32] = Array(stream[lo..<(lo + 33)])
            #expect(t == want)
            let inside: [Int] = (1..<33).filter { (j: Int) -> Bool in begins.contains(33 * i + j) }
            #expect(starts == [0] + inside)
        }
        #expect(store.manifest.discarded.first { $0.0 == "concat-32" }?.1 == stream.count % 33)
        let packed = try store.layoutIndex(named: "packed-32")
        var total = 0
        for i in 0..<store.count(layout: packed, shard: 0, split: .train) {
            let (t, starts) = try store.sequence(layout: packed, shard: 0, split: .train, index: i)
            #expect(t.count <= 33 && starts.first == 0)
            total += t.count
        }
        #expect(total == stream.count)
        #expect(try store.verify() == store.manifest.files.reduce(0) { $0 + $1.bytes })
    }

    @Test func rerunIsByteIdenticalAndSeededDiffersBySeed() throws {
        let dir = TestFiles.makeTemporaryDirectory()
        defer { TestFiles.remove(dir) }
        _ = PrepareTests.writeCorpus(dir + "/corpus.jsonl", count: 80)
        var s = PrepareTests.settings(dir, longDocs: .seeded)
        s.decomposition.maxBucket = 6  // long documents exist, so the seeded draw matters
        let first = try Preparer.prepareInProcess(settings: s, command: "ddtrain prepare test")
        let bytes = try FileIO.listDirectory(s.directory).map { try FileIO.readAll(s.directory + "/" + $0) }
        let again = try Preparer.prepareInProcess(settings: s, command: "ddtrain prepare test")
        #expect(first == again)
        #expect(try FileIO.listDirectory(s.directory).map { try FileIO.readAll(s.directory + "/" + $0) } == bytes)
        s.decomposition.seed = 6
        let other = try Preparer.prepareInProcess(settings: s, command: "ddtrain prepare test")
        #expect(other["files"] != first["files"])
    }

    @Test func corruptionAndUnfinishedPreparesAreReported() throws {
        let dir = TestFiles.makeTemporaryDirectory()
        defer { TestFiles.remove(dir) }
        _ = PrepareTests.writeCorpus(dir + "/corpus.jsonl", count: 40)
        let s = PrepareTests.settings(dir)
        try Preparer.prepareInProcess(settings: s)
        let name = "bucket-05.shard-0000.train.tokens"
        var b = try FileIO.readAll(s.directory + "/" + name)
        b[3] ^= 1
        TestFiles.write(b, to: s.directory + "/" + name)
        let store = try DatasetStore(directory: s.directory)
        #expect(errorMessage { try store.verify() }?.contains("\(name): SHA-256") == true)
        TestFiles.write(Array(b.dropLast(2)), to: s.directory + "/" + name)
        #expect(errorMessage { _ = try DatasetStore(directory: s.directory) }?.contains(name) == true)
        // A prepare that stops after beginOutput (a writer abandoned mid-way) leaves no manifest and no temp files.
        try Preparer.beginOutput(directory: s.directory)
        let w = try ShardWriter(directory: s.directory, shard: 0, settings: s, tokenizer: TokenizerInfo.known("byte")!)
        try w.add(documentID: 0, tokens: [Int32](repeating: 65, count: 100) + [256], origin: "x")
        w.abandon()
        #expect(errorMessage { _ = try DatasetStore(directory: s.directory) }?.contains("no manifest.json") == true)
        #expect(try FileIO.listDirectory(s.directory).allSatisfy { !$0.contains(".tmp-") })
        // A killed process leaves its temporary files behind; the next prepare clears them.
        TestFiles.write([1, 2, 3], to: s.directory + "/bucket-05.shard-0000.train.tokens.tmp-99999")
        try Preparer.prepareInProcess(settings: s)
        #expect(try FileIO.listDirectory(s.directory).allSatisfy { !$0.contains(".tmp-") })
        #expect(try DatasetStore(directory: s.directory).verify() > 0)
    }

    @Test func tokensOutsideTheVocabularyAreRejected() throws {
        let dir = TestFiles.makeTemporaryDirectory()
        defer { TestFiles.remove(dir) }
        var s = PrepareTests.settings(dir)
        s.baselines = []
        try Preparer.beginOutput(directory: s.directory)
        let w = try ShardWriter(directory: s.directory, shard: 0, settings: s, tokenizer: TokenizerInfo.known("byte")!)
        let msg = errorMessage { try w.add(documentID: 3, tokens: [1, 2, 300, 256], origin: "ds.idx document 3") }
        #expect(msg?.contains("ds.idx document 3: token id 300 at position 2") == true)
        w.abandon()
    }

    @Test func configSectionIsStrict() throws {
        let ok = try PrepareSettings.parse(try ConfigReader(JSONParser.parse("{\"min_bucket\": 6, \"baselines\": [512], \"pieces\": \"exact\"}"), path: "data"))
        #expect(ok.decomposition.minBucket == 6 && ok.baselines == [512] && ok.decomposition.pieces == .exact)
        // max_bucket defaults to configs/default.json's 10.
        #expect(ok.layoutKinds.map(\.name) == ["bucket-06", "bucket-07", "bucket-08", "bucket-09", "bucket-10", "concat-512", "packed-512"])
        let unknown = errorMessage { _ = try PrepareSettings.parse(try ConfigReader(JSONParser.parse("{\"min_buckets\": 6}"), path: "data")) }
        #expect(unknown?.contains("data.min_buckets") == true)
        let order = errorMessage { _ = try PrepareSettings.parse(try ConfigReader(JSONParser.parse("{\"min_bucket\": 9, \"max_bucket\": 8}"), path: "data")) }
        #expect(order?.contains("data.min_bucket") == true)
    }

    @Test func reportFiguresMatchDirectComputation() throws {
        let dir = TestFiles.makeTemporaryDirectory()
        defer { TestFiles.remove(dir) }
        let docs = PrepareTests.writeCorpus(dir + "/corpus.jsonl", count: 50)
        var s = PrepareTests.settings(dir)
        s.validFraction = 0
        try Preparer.prepareInProcess(settings: s)
        let store = try DatasetStore(directory: s.directory)
        let r = try DatasetReport.make(store)
        // Buckets: Σ n·l(l−1)/2 / Σ n·l over the trained lengths l = 2^k of the stored sequences.
        var pairs = 0.0, toks = 0.0
        for l in store.manifest.layouts where l.kind.kindName == "bucket" {
            let n = Double(l.trainCounts.reduce(0, +)), len = Double(l.trainedLength)
            pairs += n * len * (len - 1) / 2; toks += n * len
        }
        #expect(abs(r["bucket_average_context"]!.doubleValue! - pairs / toks) < 1e-9)
        let concat = r["layouts"]!.arrayValue!.first { $0["name"]?.stringValue == "concat-32" }!
        #expect(concat["average_context"]?.doubleValue == 15.5)  // every chunk feeds 32 positions: 32·31/2 / 32
        // Masked: segments between document boundaries inside each 32-position window of the token stream.
        let lengths = docs.map { $0.utf8.count + 1 }
        var boundaries = Set<Int>(), pos = 0
        for n in lengths { boundaries.insert(pos); pos += n }
        var mp = 0.0, mt = 0.0
        for c in 0..<(pos / 33) {
            var segment = 0
            for j in 0..<32 {
                if j > 0 && boundaries.contains(33 * c + j) { mp += Double(segment * (segment - 1)) / 2; mt += Double(segment); segment = 0 }
                segment += 1
            }
            mp += Double(segment * (segment - 1)) / 2; mt += Double(segment)
        }
        #expect(abs(concat["average_context_masked"]!.doubleValue! - mp / mt) < 1e-9)
        #expect(r["histogram"]!.arrayValue!.reduce(0) { $0 + $1["documents"]!.intValue! } == docs.count)
    }
}
