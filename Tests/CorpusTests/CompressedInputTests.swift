import Testing
import TestSupport
@testable import Corpus
@testable import Support

/// Gzipped text and JSON Lines read like their plain forms (files compressed by the system's gzip), and the
/// bundled default corpus holds what docs/data.md promises.
@Suite struct CompressedInputTests {
    func gzip(_ path: String) throws {
        let r = try ProcessRunner.run(["gzip", "-k", "-n", "-9", path], timeout: 60)
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test func gzippedTextAndJSONLinesMatchPlainFiles() throws {
        let dir = TestFiles.makeTemporaryDirectory()
        defer { TestFiles.remove(dir) }
        try FileIO.makeDirectories(dir + "/plain")
        _ = PrepareTests.writeCorpus(dir + "/c.jsonl", count: 200)
        try gzip(dir + "/c.jsonl")
        let plain = try collect(try JSONLSource(paths: [dir + "/c.jsonl"])).map { text($0.1)! }
        let packed = try collect(try JSONLSource(paths: [dir + "/c.jsonl.gz"])).map { text($0.1)! }
        #expect(plain.count == 200)
        #expect(packed == plain)
        TestFiles.write(plain.joined(separator: "\n"), to: dir + "/plain/doc.txt")
        try gzip(dir + "/plain/doc.txt")
        let docs = try collect(try TextFileSource(paths: [dir + "/plain"])).map { text($0.1)! }
        #expect(docs.count == 2 && docs[0] == docs[1])  // doc.txt and doc.txt.gz
        TestFiles.write([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2], to: dir + "/broken.jsonl.gz")
        let msg = errorMessage { _ = try collect(try JSONLSource(paths: [dir + "/broken.jsonl.gz"])) }
        #expect(msg?.contains("broken.jsonl.gz") == true)
    }

    @Test func bundledCorpusSpansManyLengthBins() throws {
        let path = MPIRunner.packageRoot + "/assets/corpus/default.jsonl.gz"
        #expect(try FileIO.size(path) <= 10_000_000)
        // Stream every line; only the lengths are kept. Byte lengths + end-of-text, as the byte tokenizer sees them.
        var bins = Set<Int>(), documents = 0, bytes = 0
        try JSONLSource.forEachLine(path) { line, _ in
            guard !line.isEmpty else { return }
            documents += 1
            bytes += line.count
        }
        let source = try JSONLSource(paths: [path])
        try source.forEachDocument(rank: 0, worldSize: 8) { doc in
            if case let .text(t) = doc.content { bins.insert(Decomposer.floorLog2(t.count + 1)) }
        }
        #expect(documents == 4744)
        #expect(bytes > 10_000_000)
        #expect(bins.count >= 6, "bins \(bins.sorted())")
    }
}
