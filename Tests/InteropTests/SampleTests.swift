import Foundation
import Testing
import TestSupport
import TrainerFixtures
@testable import Interop
@testable import Support
@testable import Trainer
@testable import Transformer

/// `ddtrain sample`: greedy decoding is the step-by-step arg-max of the model's logits, seeded sampling is
/// reproducible and draws from softmax(logits / T).
@Suite struct SampleTests {
    /// The reference: extend the context with the arg-max (lowest id on ties) of the last row of Model.logits.
    func argmaxContinuation(_ model: Model, prompt: [Int32], count: Int) throws -> [Int32] {
        var context = prompt, out: [Int32] = []
        let V = model.config.vocab
        for _ in 0..<count {
            let logits = try ExportFixture.logits(model, context)
            let last = Array(logits[(context.count - 1) * V..<context.count * V])
            var best = 0
            for i in 1..<V where last[i] > last[best] { best = i }
            out.append(Int32(best)); context.append(Int32(best))
        }
        return out
    }

    @Test func greedyIsTheStepwiseArgmax() throws {
        let model = try ExportFixture.randomModel(ExportFixture.config(), seed: 41)
        let prompt = ExportFixture.prompt(5, seed: 8)
        var a = try Sampler(model: model, temperature: 0, seed: 1)
        var b = try Sampler(model: model, temperature: 0, seed: 99)
        let first = try a.generate(prompt: prompt, count: 16)
        #expect(first == (try argmaxContinuation(model, prompt: prompt, count: 16)))
        #expect(first == (try b.generate(prompt: prompt, count: 16)), "greedy output depends on the seed")
    }

    @Test func seededSamplingIsReproducible() throws {
        let model = try ExportFixture.randomModel(ExportFixture.config(), seed: 42)
        let prompt = ExportFixture.prompt(4, seed: 2)
        func run(_ seed: UInt64) throws -> [Int32] {
            var s = try Sampler(model: model, temperature: 1.5, seed: seed)
            return try s.generate(prompt: prompt, count: 24)
        }
        let once = try run(7)
        #expect(once == (try run(7)))
        #expect(once != (try run(8)), "two seeds gave the same 24 tokens from 257 ids at temperature 1.5")
    }

    /// 40,000 draws from fixed logits: every id's frequency within 5 standard errors of softmax(l / T), computed here.
    @Test func drawsFollowTheTemperedSoftmax() throws {
        let model = try ExportFixture.randomModel(ExportFixture.config(layers: 1), seed: 43)
        let logits: [Float] = [1.0, 2.5, -0.5, 2.0, 0.0, 3.0]
        let T = 0.7, draws = 40_000
        var sampler = try Sampler(model: model, temperature: T, seed: 5)
        var counts = [Int](repeating: 0, count: logits.count)
        for _ in 0..<draws { counts[Int(sampler.pick(logits[...]))] += 1 }
        let weights = logits.map { Foundation.exp(Double($0) / T) }
        let total = weights.reduce(0, +)
        for (i, w) in weights.enumerated() {
            let p = w / total, f = Double(counts[i]) / Double(draws)
            #expect(abs(f - p) <= 5 * (p * (1 - p) / Double(draws)).squareRoot(), "id \(i): frequency \(f), probability \(p)")
        }
        #expect(throws: DDError.self) { _ = try Sampler(model: model, temperature: -1, seed: 0) }
    }

    /// The command encodes the prompt with the byte tokenizer (inferred from the 257-id vocabulary when the
    /// checkpoint has no run config) and prints the greedy continuation.
    @Test func sampleCommandGivesTheGreedyContinuation() throws {
        let model = try ExportFixture.randomModel(ExportFixture.config(), seed: 44)
        let checkpoint = try ExportFixture.writeCheckpoint(model)
        let r = try MPIRunner.ddtrain(["sample", "--checkpoint", checkpoint, "--prompt", "ab", "--tokens", "6", "--temperature", "0", "--json"])
        try #require(r.status == 0, "\(r.stderr)")
        let j = try JSONParser.parse(r.stdout)
        #expect(j["prompt_ids"] == .ints([97, 98]))
        #expect(j["ids"] == .ints(try argmaxContinuation(model, prompt: [97, 98], count: 6)))
        let bad = try MPIRunner.ddtrain(["sample", "--checkpoint", checkpoint, "--temperature", "-1"])
        #expect(bad.status == 2 && bad.stderr.contains("temperature"))
    }
}
