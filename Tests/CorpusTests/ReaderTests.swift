import Testing
@testable import Corpus
@testable import Support

/// Collects every rank's documents as (id, content) pairs.
func collect(_ source: DocumentSource, rank: Int = 0, worldSize: Int = 1) throws -> [(Int, Document.Content)] {
    var out: [(Int, Document.Content)] = []
    try source.forEachDocument(rank: rank, worldSize: worldSize) { out.append(($0.id, $0.content)) }
    return out
}

func text(_ c: Document.Content) -> String? { if case let .text(b) = c { return String(decoding: b, as: UTF8.self) }; return nil }
func tokens(_ c: Document.Content) -> [Int32]? { if case let .tokens(t) = c { return t }; return nil }

/// The error message thrown by `body`, or nil.
func errorMessage(_ body: () throws -> Void) -> String? {
    do { try body(); return nil } catch let e as DDError { return e.message } catch { return "\(error)" }
}

@Suite struct ReaderTests {
    @Test func textFolderGivesOneDocumentPerFileAndSlicesByRank() throws {
        let dir = TestFiles.makeTemporaryDirectory()
        defer { TestFiles.remove(dir) }
        try FileIO.makeDirectories(dir + "/sub")
        TestFiles.write("b doc", to: dir + "/b.txt")
        TestFiles.write("a doc é", to: dir + "/a.txt")
        TestFiles.write("nested", to: dir + "/sub/c.txt")
        TestFiles.write("hidden", to: dir + "/.hidden")
        let src = try TextFileSource(paths: [dir])
        let all = try collect(src)
        #expect(all.map(\.0) == [0, 1, 2])
        #expect(all.map { text($0.1)! } == ["a doc é", "b doc", "nested"])
        let r1 = try collect(src, rank: 1, worldSize: 2)
        #expect(r1.map(\.0) == [1])
        #expect(try collect(src, rank: 0, worldSize: 2).map(\.0) == [0, 2])
    }

    @Test func invalidUTF8NamesFileAndOffset() throws {
        let dir = TestFiles.makeTemporaryDirectory()
        defer { TestFiles.remove(dir) }
        TestFiles.write(Array("héllo".utf8) + [0xC3, 0x28], to: dir + "/bad.txt")
        let msg = errorMessage { _ = try collect(try TextFileSource(paths: [dir])) }
        #expect(msg?.contains("bad.txt") == true)
        #expect(msg?.contains("byte offset 6") == true)
    }

    /// Offsets of the first invalid byte against Python's decoder on the same inputs (`bytes.decode` reports start).
    @Test(arguments: [
        ([0x61, 0x62], nil), ([0xE2, 0x82, 0xAC], nil), ([0xF0, 0x9F, 0x98, 0x80], nil),
        ([0x61, 0x80], 1), ([0xC0, 0xAF], 0), ([0xE0, 0x80, 0xAF], 0), ([0xED, 0xA0, 0x80], 0),
        ([0xF4, 0x90, 0x80, 0x80], 0), ([0x61, 0x61, 0xE2, 0x82], 2), ([0xFF], 0),
    ] as [([UInt8], Int?)])
    func utf8Offsets(bytes: [UInt8], expected: Int?) {
        #expect(UTF8Check.firstInvalidOffset(bytes) == expected)
        // The same after a long ASCII prefix (exercises the 8-byte fast path).
        let prefix = [UInt8](repeating: 0x41, count: 21)
        #expect(UTF8Check.firstInvalidOffset(prefix + bytes) == expected.map { $0 + 21 })
    }

    @Test func jsonLinesWithFieldBlankLinesAndSlicing() throws {
        let dir = TestFiles.makeTemporaryDirectory()
        defer { TestFiles.remove(dir) }
        let lines = ["{\"text\": \"one\", \"id\": 1}", "", "{\"body\": \"x\", \"text\": \"two\\nlines\"}", "  ", "{\"text\": \"three\"}"]
        TestFiles.write(lines.joined(separator: "\n"), to: dir + "/a.jsonl")  // no final newline
        TestFiles.write("{\"text\": \"four\"}\n", to: dir + "/b.jsonl")
        let src = try JSONLSource(paths: [dir + "/a.jsonl", dir + "/b.jsonl"])
        let all = try collect(src)
        #expect(all.map(\.0) == [0, 1, 2, 3])
        #expect(all.map { text($0.1)! } == ["one", "two\nlines", "three", "four"])
        #expect(try collect(src, rank: 1, worldSize: 3).map { text($0.1)! } == ["two\nlines"])
        let other = try JSONLSource(paths: [dir + "/a.jsonl"], field: "body")
        let msg = errorMessage { _ = try collect(other) }
        #expect(msg?.contains("a.jsonl:1") == true)
        #expect(msg?.contains("no field \"body\"") == true)
    }

    @Test func jsonLinesLongerThanOneReadChunk() throws {
        let dir = TestFiles.makeTemporaryDirectory()
        defer { TestFiles.remove(dir) }
        let long = String(repeating: "xyz ", count: 400_000)  // 1.6 MB line
        TestFiles.write("{\"text\": \"\(long)\"}\n{\"text\": \"short\"}\n", to: dir + "/c.jsonl")
        let stream = try ByteStream(path: dir + "/c.jsonl", chunkSize: 1 << 16)
        var buf: [UInt8] = []
        while try stream.readChunk(appendingTo: &buf) {}
        #expect(buf.count == long.utf8.count + 31)
        let all = try collect(try JSONLSource(paths: [dir + "/c.jsonl"]))
        #expect(all.map { text($0.1)!.count } == [long.count, 5])
    }

    @Test func malformedJSONLineNamesLine() throws {
        let dir = TestFiles.makeTemporaryDirectory()
        defer { TestFiles.remove(dir) }
        TestFiles.write("{\"text\": \"ok\"}\n{\"text\": oops}\n", to: dir + "/m.jsonl")
        let msg = errorMessage { _ = try collect(try JSONLSource(paths: [dir + "/m.jsonl"])) }
        #expect(msg?.contains("m.jsonl:2") == true)
    }

    /// Writes a Megatron MMIDIDX v1 dataset byte by byte from the documented layout (not via the reader).
    func writeMegatron(_ prefix: String, documents: [[[Int32]]], dtype: UInt8) {
        var bin: [UInt8] = [], sizes: [Int32] = [], pointers: [Int64] = [], docIdx: [Int64] = [0]
        for doc in documents {
            for seq in doc {
                pointers.append(Int64(bin.count))
                sizes.append(Int32(seq.count))
                for t in seq { bin += dtype == 8 ? TestFiles.le(UInt16(t)) : TestFiles.le(t) }
            }
            docIdx.append(Int64(sizes.count))
        }
        var idx = Array("MMIDIDX".utf8) + [0, 0] + TestFiles.le(UInt64(1)) + [dtype]
        idx += TestFiles.le(Int64(sizes.count)) + TestFiles.le(Int64(docIdx.count))
        for s in sizes { idx += TestFiles.le(s) }
        for p in pointers { idx += TestFiles.le(p) }
        for d in docIdx { idx += TestFiles.le(d) }
        TestFiles.write(idx, to: prefix + ".idx")
        TestFiles.write(bin, to: prefix + ".bin")
    }

    @Test(arguments: [UInt8(8), UInt8(4)])
    func megatronReadsIndependentlyWrittenDataset(dtype: UInt8) throws {
        let dir = TestFiles.makeTemporaryDirectory()
        defer { TestFiles.remove(dir) }
        // Three sequences (odd sizes, so the int64 arrays land unaligned); document 1 spans two sequences and
        // ends with end-of-text as --append-eod writes it; document 2 has a token above 255.
        let docs: [[[Int32]]] = [[[1, 2, 3]], [[4, 5], [6, 50256]], [[40000, 7]]]
        writeMegatron(dir + "/ds", documents: docs, dtype: dtype)
        let src = try MegatronSource(paths: [dir + "/ds.bin"], endOfText: 50256)
        #expect(src.datasets[0].sequenceCount == 4)
        let all = try collect(src)
        #expect(all.map(\.0) == [0, 1, 2])
        #expect(all.map { tokens($0.1)! } == [[1, 2, 3], [4, 5, 6], [40000, 7]])
        #expect(try collect(src, rank: 1, worldSize: 2).map(\.0) == [1])
    }

    @Test func megatronErrorsNameFileAndOffset() throws {
        let dir = TestFiles.makeTemporaryDirectory()
        defer { TestFiles.remove(dir) }
        writeMegatron(dir + "/ds", documents: [[[1, 2, 3]]], dtype: 8)
        let good = try FileIO.readAll(dir + "/ds.idx")
        func message(_ idx: [UInt8]) -> String? {
            TestFiles.write(idx, to: dir + "/ds.idx")
            return errorMessage { _ = try MegatronDataset(path: dir + "/ds") }
        }
        var bad = good; bad[0] = 0x4E
        #expect(message(bad)?.contains("bad magic at byte offset 0") == true)
        bad = good; bad[9] = 2
        #expect(message(bad)?.contains("version 2 at byte offset 9") == true)
        bad = good; bad[17] = 6
        #expect(message(bad)?.contains("dtype code 6 at byte offset 17") == true)
        #expect(message(Array(good.dropLast(3)))?.contains("truncated") == true)
        #expect(message(Array(good[0..<20]))?.contains("truncated") == true)
        #expect(message(good) == nil)
        // A .bin shorter than the pointers say.
        TestFiles.write([1, 0], to: dir + "/ds.bin")
        let msg = errorMessage { _ = try collect(try MegatronSource(paths: [dir + "/ds"], endOfText: 0)) }
        #expect(msg?.contains("ds.bin") == true)
        #expect(msg?.contains("beyond the file") == true)
    }

    /// Writes an llm.c shard from its documented layout: 256 int32 header, then uint16 tokens.
    func writeLLMC(_ path: String, tokens: [UInt16], magic: Int32 = 20240520, version: Int32 = 1, claimed: Int? = nil) {
        var header = [Int32](repeating: 0, count: 256)
        header[0] = magic; header[1] = version; header[2] = Int32(claimed ?? tokens.count)
        TestFiles.write(header.flatMap { TestFiles.le($0) } + tokens.flatMap { TestFiles.le($0) }, to: path)
    }

    @Test func llmcSplitsAtEndOfTextAcrossShards() throws {
        let dir = TestFiles.makeTemporaryDirectory()
        defer { TestFiles.remove(dir) }
        let eot: UInt16 = 50256
        writeLLMC(dir + "/s_000.bin", tokens: [eot, 1, 2, eot, 3, 4])
        writeLLMC(dir + "/s_001.bin", tokens: [5, eot, eot, 6])
        let src = try LLMCSource(paths: [dir], endOfText: 50256)
        let all = try collect(src)
        #expect(all.map(\.0) == [0, 1, 2])
        #expect(all.map { tokens($0.1)! } == [[1, 2], [3, 4, 5], [6]])
        #expect(try collect(src, rank: 1, worldSize: 2).map { tokens($0.1)! } == [[3, 4, 5]])
    }

    @Test func llmcErrors() throws {
        let dir = TestFiles.makeTemporaryDirectory()
        defer { TestFiles.remove(dir) }
        let p = dir + "/x.bin"
        writeLLMC(p, tokens: [1, 2], magic: 20240521)
        #expect(errorMessage { _ = try LLMCSource.open(p) }?.contains("bad magic 20240521 at byte offset 0") == true)
        writeLLMC(p, tokens: [1, 2], version: 2)
        #expect(errorMessage { _ = try LLMCSource.open(p) }?.contains("version 2 at byte offset 4") == true)
        writeLLMC(p, tokens: [1, 2], claimed: 5)
        #expect(errorMessage { _ = try LLMCSource.open(p) }?.contains("truncated") == true)
        TestFiles.write([1, 2, 3], to: p)
        #expect(errorMessage { _ = try LLMCSource.open(p) }?.contains("x.bin: truncated") == true)
    }
}
