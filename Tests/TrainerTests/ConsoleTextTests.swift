import Testing
@testable import Support
@testable import Trainer

/// What the console prints for a step and an evaluation, from the records metrics.jsonl holds.
struct ConsoleTextTests {
    @Test func aStepNamesItsCycleLayoutAndLength() {
        let bucket = JSON.obj(["cycle": .int(2), "layouts": .array([.string("bucket-08")]), "lengths": .ints([256])])
        #expect(ConsoleText.step(bucket, cycles: 8) == "cycle 3/8 bucket-08 len 256")
        let mixed = JSON.obj(["cycle": .int(0), "layouts": .array([.string("bucket-06"), .string("bucket-10")]), "lengths": .ints([64, 1024])])
        #expect(ConsoleText.step(mixed, cycles: 1) == "len 64–1024")
    }

    @Test func anEvaluationGivesTheOverallLossAndAFewLengths() {
        let layouts = (4...9).map { k in ("bucket-0\(k)", JSON.obj(["length": .int(1 << k), "loss": .number(Double(10 - k))])) }
        let record = JSON.obj(["step": .int(40), "loss": .number(2.5), "layouts": .object(layouts)])
        #expect(ConsoleText.evaluation(record) == "eval at step 40: held-out loss 2.5000 (by length: 16 6.000, 32 5.000, 128 3.000, 512 1.000)")
    }
}
