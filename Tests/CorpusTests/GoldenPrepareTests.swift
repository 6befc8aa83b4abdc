import Testing
import TestSupport
@testable import Corpus
@testable import Support

/// Prepares the committed golden corpus and compares every file's SHA-256 and size, the sequence counts and
/// the discarded tokens with tools/reference_prepare.py, an independent Python implementation of the rules and
/// file formats (including the seeded long-document draw and the validation hash).
@Suite struct GoldenPrepareTests {
    static let folder = MPIRunner.packageRoot + "/Tests/CorpusTests/Golden"

    @Test func filesMatchThePythonReference() throws {
        let golden = try FileIO.readJSON(GoldenPrepareTests.folder + "/golden.json")
        let configs = try #require(golden.arrayValue)
        #expect(configs.count == 2)
        for cfg in configs {
            let name = cfg["name"]!.stringValue!
            let dir = TestFiles.makeTemporaryDirectory()
            defer { TestFiles.remove(dir) }
            var s = PrepareSettings()
            s.sources = [GoldenPrepareTests.folder + "/corpus.jsonl"]
            s.directory = dir
            s.decomposition = DecompositionConfig(minBucket: cfg["min_bucket"]!.intValue!, maxBucket: cfg["max_bucket"]!.intValue!,
                                                  pieces: PieceMode(rawValue: cfg["pieces"]!.stringValue!)!,
                                                  longDocuments: LongDocumentRule(rawValue: cfg["long_docs"]!.stringValue!)!,
                                                  seed: UInt64(cfg["seed"]!.intValue!))
            s.validFraction = cfg["valid_fraction"]!.doubleValue!
            s.baselines = cfg["baselines"]!.arrayValue!.map { $0.intValue! }
            try Preparer.prepareInProcess(settings: s, worldSize: cfg["shards"]!.intValue!)
            let manifest = try Manifest.read(directory: dir)
            let expected = cfg["files"]!.objectValue!
            #expect(manifest.files.map(\.name) == expected.map(\.0), "\(name): file list")
            for (file, e) in expected {
                let bytes = try FileIO.readAll(dir + "/" + file)
                #expect(bytes.count == e["bytes"]!.intValue!, "\(name) \(file): size")
                #expect(SHA256.hex(of: bytes) == e["sha256"]!.stringValue!, "\(name) \(file): content")
                if let n = e["sequences"]?.intValue {
                    let layout = manifest.layouts.first { file.hasPrefix($0.name + ".") }!
                    let shard = Int(file.split(separator: ".")[1].dropFirst(6))!
                    let split: Split = file.contains(".train.") ? .train : .valid
                    #expect(layout.shards[shard].counts(split).sequences == n, "\(name) \(file): sequences")
                }
            }
            for (group, n) in cfg["discarded_tokens"]!.objectValue! {
                #expect(manifest.discarded.first { $0.0 == group }?.1 == n.intValue, "\(name): discarded \(group)")
            }
        }
    }
}
