import Foundation
import Testing
import TestSupport
import TrainerFixtures
@testable import Support
@testable import Trainer

/// `sample`, `eval` and `export` given a run folder or its checkpoints folder take the newest checkpoint that
/// verifies: the same output as naming that file.
@Suite(.serialized) struct RunFolderCheckpointTests {
    static let run: String = {
        let run = MPIRunner.temporaryDirectory("run-folder") + "/run"
        let config = TrainerFixture.config("folder", train: [("checkpoint_every", .int(2)), ("max_steps", .int(5))])
        let r = try! MPIRunner.ddtrain(["train", "--config", config, "--out", run], timeout: 120)
        precondition(r.status == 0, r.stderr)
        return run
    }()

    func sample(_ checkpoint: String) throws -> ProcessResult {
        try MPIRunner.ddtrain(["sample", "--checkpoint", checkpoint, "--prompt", "the model", "--tokens", "12", "--temperature", "0"])
    }

    @Test func aRunFolderMeansItsNewestCheckpoint() throws {
        let newest = try #require(try CheckpointStore(runDirectory: Self.run, keep: 3).list().first)
        let byFile = try sample(newest)
        try #require(byFile.status == 0, "\(byFile.stderr)")
        let lines = byFile.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "prompt:       the model", "\(byFile.stdout)")
        #expect(lines.count >= 2 && lines[1].hasPrefix("continuation: "), "\(byFile.stdout)")
        for folder in [Self.run, Self.run + "/", Self.run + "/checkpoints"] {
            let r = try sample(folder)
            #expect(r.status == 0 && r.stdout == byFile.stdout, "\(folder): \(r.stderr)")
            #expect(r.stderr.contains("checkpoint: \(newest)"), "\(r.stderr)")
        }
        let eval = try MPIRunner.ddtrain(["eval", "--checkpoint", Self.run, "--json"])
        let evalFile = try MPIRunner.ddtrain(["eval", "--checkpoint", newest, "--json"])
        #expect(eval.status == 0 && eval.stdout == evalFile.stdout, "\(eval.stderr)")
        let out = MPIRunner.temporaryDirectory("run-folder-export") + "/hf"
        let export = try MPIRunner.ddtrain(["export", "--checkpoint", Self.run, "--out", out])
        #expect(export.status == 0 && FileManager.default.fileExists(atPath: out + "/model.safetensors"), "\(export.stderr)")
    }

    @Test func aDamagedNewestCheckpointFallsBackToThePrevious() throws {
        let copy = MPIRunner.temporaryDirectory("run-folder-damaged") + "/run"
        try FileManager.default.copyItem(atPath: Self.run, toPath: copy)
        let files = try CheckpointStore(runDirectory: copy, keep: 3).list()
        try #require(files.count >= 2)
        let handle = try #require(FileHandle(forUpdatingAtPath: files[0]))
        try handle.seek(toOffset: 4096)
        try handle.write(contentsOf: Data(repeating: 0x5A, count: 64))
        try handle.close()
        let r = try sample(copy)
        #expect(r.status == 0 && r.stderr.contains("skipping checkpoint \(files[0])"), "\(r.stderr)")
        #expect(r.stdout == (try sample(files[1])).stdout)
    }

    @Test func aFolderWithoutCheckpointsIsRefused() throws {
        let empty = MPIRunner.temporaryDirectory("run-folder-empty")
        let r = try sample(empty)
        #expect(r.status != 0 && r.stderr.contains("is a folder without checkpoints") && r.stderr.contains("(fix: "), "\(r.stderr)")
    }
}
