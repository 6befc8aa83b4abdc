import Foundation
import Testing
import TestSupport
@testable import Corpus
@testable import Curriculum
@testable import Support
@testable import Trainer

/// docs/config.md, the reference table and the config reader agree: same keys per section, same defaults.
struct ConfigReferenceTests {
    /// The keys the reader says a section accepts, from the error a stray key there produces.
    func validKeys(section: String) throws -> [String] {
        var json = JSON.object([])
        let path = section.split(separator: ".").map(String.init)
        json = try ConfigOverrides.apply(((path + ["zz_stray"]).joined(separator: ".")) + "=1", to: json)
        do {
            _ = try TrainingConfig(json: json)
        } catch let e as DDError {
            let marker = section.isEmpty ? "valid keys in the config: " : "valid keys in '\(section)': "
            let tail = try #require(e.message.range(of: marker), "\(e.message)")
            let list = e.message[tail.upperBound...].prefix { $0 != ";" }
            return list.components(separatedBy: ", ")
        }
        Issue.record("a stray key in '\(section)' was accepted")
        return []
    }

    @Test func everySectionAcceptsExactlyTheTablesKeys() throws {
        for section in ConfigReference.sections {
            let table = ConfigReference.keys.filter { $0.section == section }.map(\.key)
            #expect(try validKeys(section: section) == table, "section '\(section)'")
        }
    }

    @Test func theTablesDefaultsAreTheParsedOnes() throws {
        let c = try TrainingConfig(json: .object([]))
        let cur = c.curriculum
        let resolved: [String: JSON] = [
            "data": c.data.json.setting("dir", to: .string(c.data.directory)).setting("tokenizer_dir", to: .string(c.data.tokenizerDirectory)),
            "model": try c.modelConfig(vocabulary: nil).toJSON(), "optim": c.optim.json, "train": c.run.json, "eval": c.eval.json,
            "curriculum": .obj(["batching": .string(cur.batching.rawValue), "context_length": .int(cur.contextLength), "mixture": .string("natural"),
                                "schedule": .string(cur.schedule.rawValue), "cycles": .int(cur.cycles), "weights": .string(cur.weights.rawValue),
                                "tokens_per_step": .int(cur.tokensPerStep), "total_tokens": .int(cur.totalTokens), "seed": .int(Int(cur.seed))]),
            "curriculum.balance": .obj(["partitioner": .string(cur.balance.partitioner.rawValue), "alpha": .number(cur.balance.cost.alpha),
                                        "beta": .number(cur.balance.cost.beta), "calibrate": .bool(cur.balance.calibrate),
                                        "speed_update_every": .int(cur.balance.speedUpdateEvery), "locality": .bool(cur.balance.locality)]),
        ]
        #expect(cur.mixture == .natural && cur.buckets == nil)
        var checked = 0
        for k in ConfigReference.keys {
            guard let value = k.value else { continue }
            let actual = try #require(resolved[k.section]?[k.key], "no parsed default for \(k.section).\(k.key)")
            #expect(actual == value, "\(k.section).\(k.key): table \(value.compact), parsed \(actual.compact)")
            checked += 1
        }
        #expect(checked >= 60)
    }

    @Test func docsConfigMdIsTheGeneratedReference() throws {
        let doc = try String(contentsOfFile: MPIRunner.packageRoot + "/docs/config.md", encoding: .utf8)
        #expect(doc == ConfigReference.markdown(), "docs/config.md is stale: regenerate it with ddtrain config --markdown > docs/config.md")
    }

    @Test func unknownKeysGetADidYouMean() throws {
        #expect(KeySuggestion.closest(to: "learning_rate", among: ["lr", "min_lr", "warmup_steps"]) == "lr")
        #expect(KeySuggestion.closest(to: "warmup_step", among: ["lr", "min_lr", "warmup_steps"]) == "warmup_steps")
        #expect(KeySuggestion.closest(to: "tokens_per_batch", among: ["tokens_per_step", "total_tokens"]) == "tokens_per_step")
        #expect(KeySuggestion.closest(to: "colour", among: ["lr", "min_lr"]) == nil)
        #expect(KeySuggestion.editDistance("kitten", "sitting") == 3)
        do {
            _ = try TrainingConfig(json: try ConfigOverrides.apply("optim.learning_rate=1", to: .object([])))
            Issue.record("accepted optim.learning_rate")
        } catch let e as DDError {
            #expect(e.message.contains("'optim.learning_rate': unknown key") && e.message.contains("did you mean 'lr'?"), "\(e.message)")
            #expect(e.message.contains("valid keys in 'optim': lr, min_lr, warmup_steps"), "\(e.message)")
        }
    }
}

/// `prepare` without a config prepares what configs/default.json describes.
struct PrepareDefaultsTests {
    @Test func prepareDefaultsAreTheDefaultConfigs() throws {
        let shipped = try FileIO.readJSON(MPIRunner.packageRoot + "/configs/default.json")["data"]!
        let defaults = try PrepareSettings.parse(ConfigReader.empty(path: "data")).json
        for key in ["tokenizer", "min_bucket", "max_bucket", "pieces", "long_docs", "seed", "valid_fraction", "baselines", "sources"] {
            #expect(defaults[key] == shipped[key], "data.\(key): prepare's default \(defaults[key]?.compact ?? "none"), configs/default.json \(shipped[key]?.compact ?? "none")")
        }
    }
}
