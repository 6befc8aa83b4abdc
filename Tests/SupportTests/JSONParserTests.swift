import Testing
@testable import Support

@Suite struct JSONParserTests {
    @Test func parsesNestedValuesInOrder() throws {
        let j = try JSONParser.parse(#"{"b": [1, 2.5, -3e2], "a": {"x": true, "y": null}, "s": "h\u00e9\n\ud83d\ude00"}"#)
        #expect(j.objectValue!.map(\.0) == ["b", "a", "s"])
        #expect(j["b"] == .array([.number(1), .number(2.5), .number(-300)]))
        #expect(j["a"]?["x"] == .bool(true))
        #expect(j["a"]?["y"] == .null)
        #expect(j["s"]?.stringValue == "hé\n😀")
    }

    @Test(arguments: ["{", "[1,]", "{\"a\" 1}", "01", "1.", "\"abc", "{\"a\":1,\"a\":2}", "tru", "[1] x", "\"\\ud800\"", "-"])
    func rejectsMalformedInput(_ text: String) {
        #expect(throws: DDError.self) { try JSONParser.parse(text) }
    }

    @Test func errorNamesLineAndColumn() {
        do {
            _ = try JSONParser.parse("{\n  \"a\": 1,\n  \"b\": ?\n}", source: "cfg.json")
            Issue.record("expected an error")
        } catch let e as DDError {
            #expect(e.message.contains("cfg.json"))
            #expect(e.message.contains("line 3, column 8"))
        } catch { Issue.record("wrong error \(error)") }
    }

    @Test func writerRoundTrips() throws {
        let j = try JSONParser.parse(#"{"a": [1, 2, 3], "b": {"c": "x\"y", "d": 0.1}, "e": []}"#)
        #expect(try JSONParser.parse(j.compact) == j)
        #expect(try JSONParser.parse(j.pretty) == j)
        #expect(JSON.number(3).compact == "3")
        #expect(JSON.number(0.5).compact == "0.5")
    }
}
