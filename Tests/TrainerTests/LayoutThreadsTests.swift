import Testing
@testable import Support
@testable import Trainer

/// DDTRAIN_THREADS (the launch layout) over train.threads: it wins, with a warning only when the config named
/// another value; bad values fail with one usage line.
struct LayoutThreadsTests {
    let named = JSON.obj(["train": .obj(["threads": .int(4), "seed": .int(7)])])

    @Test func theLayoutSetsTrainThreads() throws {
        let unset = try LayoutThreads.apply(to: named, value: nil)
        #expect(unset.config == named && unset.warning == nil)
        let same = try LayoutThreads.apply(to: named, value: "4")
        #expect(same.config == named && same.warning == nil)
        let other = try LayoutThreads.apply(to: named, value: "2")
        #expect(other.config["train"]?["threads"]?.intValue == 2 && other.config["train"]?["seed"]?.intValue == 7)
        #expect(other.warning?.hasPrefix("train.threads is 4 in the config") == true && other.warning?.hasSuffix("using 2") == true)
        let silent = try LayoutThreads.apply(to: .object([]), value: "3")
        #expect(silent.config["train"]?["threads"]?.intValue == 3 && silent.warning == nil)
        let config = try TrainingConfig.launched(named, layoutThreads: "2")
        #expect(config.run.threads == 2 && config.threadsWarning == other.warning && config.json == other.config)
        #expect(try TrainingConfig.launched(named, layoutThreads: nil).run.threads == 4)
    }

    @Test(arguments: ["0", "257", "two", "1.5", "-1"]) func aBadValueIsAUsageError(_ value: String) throws {
        let e = try #require(throws: DDError.self) { try LayoutThreads.apply(to: named, value: value) }
        #expect(e.exitCode == 2 && e.message.hasPrefix("DDTRAIN_THREADS=\(value): expected") && !e.message.contains("\n"))
    }
}
