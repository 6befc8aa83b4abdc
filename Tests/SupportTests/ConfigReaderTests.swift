import Testing
@testable import Support

@Suite struct ConfigReaderTests {
    @Test func readsValuesAndDefaults() throws {
        let r = try ConfigReader(try JSONParser.parse(#"{"dim": 384, "lr": 0.003, "name": "grow_p2", "on": true}"#), path: "model")
        #expect(try r.int("dim") == 384)
        #expect(try r.int("layers", default: 6) == 6)
        #expect(try r.double("lr") == 0.003)
        #expect(try r.choice("name", ["uniform", "grow_p2"]) == "grow_p2")
        #expect(try r.bool("on") == true)
        try r.finish()
    }

    @Test func unknownKeyIsNamedWithItsPath() throws {
        let r = try ConfigReader(try JSONParser.parse(#"{"dim": 384, "hedas": 6}"#), path: "model")
        _ = try r.int("dim")
        #expect { try r.finish() } throws: { ($0 as! DDError).message.contains("model.hedas") }
    }

    @Test func wrongTypeAndRangeAreNamed() throws {
        let r = try ConfigReader(try JSONParser.parse(#"{"dim": "big", "heads": 0}"#), path: "model")
        #expect { try r.int("dim") } throws: { ($0 as! DDError).message.contains("model.dim") }
        #expect { try r.int("heads", min: 1) } throws: { ($0 as! DDError).message.contains("below the minimum 1") }
        #expect { try r.int("layers") } throws: { ($0 as! DDError).message.contains("missing") }
    }

    @Test func overridesSetNestedKeys() throws {
        var j = try JSONParser.parse(#"{"model": {"dim": 384}}"#)
        j = try ConfigOverrides.apply(["model.dim=768", "curriculum.name=grow_p2", "model.tied=true"], to: j)
        #expect(j["model"]?["dim"] == .number(768))
        #expect(j["model"]?["tied"] == .bool(true))
        #expect(j["curriculum"]?["name"] == .string("grow_p2"))
        #expect(throws: DDError.self) { try ConfigOverrides.apply("model.dim", to: j) }
    }
}
