import Foundation
import Testing
import TestSupport
import TrainerFixtures
@testable import Corpus
@testable import Interop
@testable import Support
@testable import Trainer

/// A byte-level export's tokenizer loaded by Hugging Face's `AutoTokenizer` gives ddtrain's ids, where the
/// transformers package imports (the project's .venv when present, else python3; torch is not needed).
@Suite struct ExportTokenizerHFTests {
    static let python: String = {
        let venv = MPIRunner.packageRoot + "/.venv/bin/python"
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "python3"
    }()

    static let available: Bool = {
        (try? ProcessRunner.run([python, "-c", "import transformers"], timeout: 120).status) == 0
    }()

    @Test(.enabled(if: ExportTokenizerHFTests.available, "skipped: python cannot import transformers here (pip install transformers into .venv)"))
    func autoTokenizerGivesDdtrainsIds() throws {
        let model = try ExportFixture.randomModel(ExportFixture.config(), seed: 7)
        let out = MPIRunner.temporaryDirectory("hf-tok") + "/hf"
        let result = try ModelExport.export(checkpoint: try ExportFixture.writeCheckpoint(model), to: out)
        #expect(result.files.contains("tokenizer.json"))
        let texts = ["Hello, world.", "  leading spaces and\ttabs\nand lines\r\n", "Grüße — naïve café 日本語 🙂", "\"quotes\" \\ back\\slash",
                     String(decoding: (1..<128).map { UInt8($0) }, as: UTF8.self), ""]
        let input = MPIRunner.temporaryDirectory("hf-tok-in") + "/texts.json"
        try JSON.array(texts.map { .string($0) }).compact.write(toFile: input, atomically: true, encoding: .utf8)
        let script = """
        import json, sys
        from transformers import AutoTokenizer
        t = AutoTokenizer.from_pretrained(sys.argv[1])
        texts = json.load(open(sys.argv[2]))
        ids = [t.encode(s, add_special_tokens=True) for s in texts]
        print(json.dumps({"ids": ids, "eos": t.eos_token_id, "decoded": [t.decode(i) for i in ids]}))
        """
        let r = try ProcessRunner.run([Self.python, "-c", script, out, input], timeout: 300)
        try #require(r.status == 0, "\(r.stderr)")
        let reply = try JSONParser.parse(r.stdout.split(separator: "\n").last.map(String.init) ?? "")
        let byte = ByteTokenizer()
        #expect(reply["eos"]?.intValue == Int(byte.endOfText))
        for (n, text) in texts.enumerated() {
            let theirs = reply["ids"]?.arrayValue?[n].arrayValue?.compactMap(\.intValue) ?? []
            #expect(theirs == byte.encode(text).map(Int.init), "ids differ for \(text.debugDescription)")
            #expect(reply["decoded"]?.arrayValue?[n].stringValue == text)
        }
    }
}
