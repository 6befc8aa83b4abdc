import Foundation
import Testing
import TestSupport
@testable import Support

/// One bad-input case: what to run (under mpirun -np 2) and what its one-line error must name.
struct BadInputCase: CustomTestStringConvertible, Sendable {
    /// What is wrong, as the test is listed.
    let name: String
    /// Text the error line must contain (the key or the file, and the problem).
    let expect: [String]
    /// Builds the inputs inside `work` (a fresh folder) and returns the invocation; nil skips the case.
    let setup: @Sendable (_ work: String) throws -> Invocation?

    var testDescription: String { name }
}

/// A command line, its environment, the folders that must hold no partial output afterwards, and a cleanup.
struct Invocation {
    var args: [String]
    var environment: [String: String] = [:]
    var outputs: [String] = []
    /// Paths that must not exist afterwards (a refused command creates no folder).
    var absent: [String] = []
    var cleanup: () -> Void = {}
}

extension ReliabilityTests {
    typealias F = ReliabilityFixture

    /// `train --config C --out work/run` with `--set` overrides.
    static func train(_ work: String, _ sets: [String] = [], config: String? = nil, extra: [String] = []) throws -> Invocation {
        let c = try config ?? F.writeConfig(in: work)
        return Invocation(args: ["train", "--config", c, "--out", work + "/run"] + sets.flatMap { ["--set", $0] } + extra, outputs: [work + "/run"])
    }

    /// `prepare --source SRC --out work/prep` with small buckets.
    static func prepare(_ work: String, source: String, out: String? = nil, extra: [String] = []) -> Invocation {
        let o = out ?? work + "/prep"
        return Invocation(args: ["prepare", "--source", source, "--out", o, "--min-bucket", "4", "--max-bucket", "6"] + extra, outputs: [o])
    }

    /// A copy of the fixture's prepared data with `change` applied, and a config pointing at it.
    static func trainOnDamagedData(_ work: String, _ change: (String) throws -> Void) throws -> Invocation {
        let data = try F.copy(F.dataDirectory, tag: "rel-damaged")
        try change(data)
        return try train(work, config: try F.writeConfig(in: work, dataDir: data))
    }

    /// Rewrites the manifest of a copy of the data through `edit`.
    static func editManifest(_ data: String, _ edit: (JSON) -> JSON) throws {
        let path = data + "/manifest.json"
        try edit(try FileIO.readJSON(path)).pretty.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static let badInputCases: [BadInputCase] = [
        // Configs.
        BadInputCase(name: "unknown config key", expect: ["'model.dimm'", "unknown key"]) { try train($0, ["model.dimm=32"]) },
        BadInputCase(name: "unknown config section", expect: ["'trian'", "unknown key"]) { try train($0, ["trian.max_steps=1"]) },
        BadInputCase(name: "wrong type", expect: ["'model.dim'", "expected an integer"]) { try train($0, ["model.dim=\"wide\""]) },
        BadInputCase(name: "zero layers", expect: ["'model.layers'", "below the minimum 1"]) { try train($0, ["model.layers=0"]) },
        BadInputCase(name: "negative tokens per step", expect: ["'curriculum.tokens_per_step'", "below the minimum"]) { try train($0, ["curriculum.tokens_per_step=-256"]) },
        BadInputCase(name: "heads do not divide width", expect: ["'model.heads'", "do not divide dim 16"]) { try train($0, ["model.heads=3"]) },
        BadInputCase(name: "min bucket above max", expect: ["'data.min_bucket'", "max_bucket"]) { try train($0, ["data.min_bucket=9"]) },
        BadInputCase(name: "tokens per step not a multiple of the lengths", expect: ["'curriculum.tokens_per_step'", "not a multiple"]) {
            try train($0, ["curriculum.tokens_per_step=200"])
        },
        BadInputCase(name: "min_lr above lr", expect: ["'optim.min_lr'"]) { try train($0, ["optim.lr=0.001", "optim.min_lr=0.01"]) },
        BadInputCase(name: "bucket the data lacks", expect: ["'curriculum.buckets'", "bucket 9"]) { try train($0, ["curriculum.buckets=[9]"]) },
        BadInputCase(name: "baseline length the data lacks", expect: ["'curriculum.context_length'"]) {
            try train($0, ["curriculum.batching=\"concat\"", "curriculum.context_length=128"])
        },
        BadInputCase(name: "negative watchdog", expect: ["'train.watchdog_s'"]) { try train($0, ["train.watchdog_s=-1"]) },
        BadInputCase(name: "watchdog variable not a number", expect: ["DDTRAIN_WATCHDOG_S", "'abc'"]) {
            var i = try train($0); i.environment["DDTRAIN_WATCHDOG_S"] = "abc"; return i
        },
        BadInputCase(name: "config is not JSON", expect: ["config.json", "invalid JSON"]) { work in
            let path = work + "/config.json"
            try "{\"model\": {\"dim\": 16,".write(toFile: path, atomically: true, encoding: .utf8)
            return try train(work, config: path)
        },
        // Missing files.
        BadInputCase(name: "config file missing", expect: ["nowhere.json", "not found"]) { try train($0, config: $0 + "/nowhere.json") },
        BadInputCase(name: "data folder missing", expect: ["no-data", "no manifest.json"]) { try train($0, ["data.dir=\"\($0)/no-data\""]) },
        BadInputCase(name: "corpus source missing", expect: ["absent.jsonl"]) { prepare($0, source: $0 + "/absent.jsonl") },
        BadInputCase(name: "shard file missing", expect: ["bucket-05.shard-0001.train.tokens", "missing"]) {
            try trainOnDamagedData($0) { try FileManager.default.removeItem(atPath: $0 + "/bucket-05.shard-0001.train.tokens") }
        },
        // Damaged data.
        BadInputCase(name: "truncated shard", expect: ["bucket-06.shard-0000.train.tokens", "the manifest says"]) {
            try trainOnDamagedData($0) { data in
                let p = data + "/bucket-06.shard-0000.train.tokens"
                let h = FileHandle(forWritingAtPath: p)!; try h.truncate(atOffset: UInt64(try FileIO.size(p) - 7)); try h.close()
            }
        },
        BadInputCase(name: "corrupted shard (inspect --verify)", expect: ["bucket-04.shard-0000.train.tokens", "SHA-256", "differs from the manifest"]) { work in
            let data = try F.copy(F.dataDirectory, tag: "rel-corrupt")
            try F.damage(data + "/bucket-04.shard-0000.train.tokens", offset: 10, count: 2)
            return Invocation(args: ["inspect", data, "--verify"])
        },
        BadInputCase(name: "corrupted shards (train)", expect: ["train.tokens", "outside the vocabulary", "--verify"]) {
            try trainOnDamagedData($0) { data in
                for name in try FileManager.default.contentsOfDirectory(atPath: data) where name.hasSuffix("train.tokens") { try F.damage(data + "/" + name) }
            }
        },
        BadInputCase(name: "manifest is not JSON", expect: ["manifest.json", "invalid JSON"]) {
            try trainOnDamagedData($0) { try "{\"format\": \"ddtrain-dataset\", \"vers".write(toFile: $0 + "/manifest.json", atomically: true, encoding: .utf8) }
        },
        BadInputCase(name: "manifest of another tokenizer", expect: ["'data'", "tokenizer: config \"byte\", prepared \"gpt2\""]) {
            // The config states the tokenizer; one that leaves it out trains on the manifest's.
            var i = try trainOnDamagedData($0) { try editManifest($0) { $0.setting("tokenizer", to: .obj(["name": .string("gpt2"), "vocab_size": .int(50257), "eot": .int(50256)])) } }
            i.args += ["--set", "data.tokenizer=byte"]
            return i
        },
        BadInputCase(name: "manifest with another vocabulary", expect: ["manifest.json", "300 ids", "byte has 257 ids"]) {
            try trainOnDamagedData($0) { try editManifest($0) { $0.setting("tokenizer", to: .obj(["name": .string("byte"), "vocab_size": .int(300), "eot": .int(256)])) } }
        },
        BadInputCase(name: "config vocabulary differs from the data", expect: ["'model.vocab'", "257"]) { try train($0, ["model.vocab=300"]) },
        BadInputCase(name: "corpus lines without the text field", expect: ["rec.jsonl:1", "has no field \"text\"; its keys are \"id\", \"body\"", "e.g. \"body\""]) { work in
            try "{\"id\": 1, \"body\": \"some words\"}\n".write(toFile: work + "/rec.jsonl", atomically: true, encoding: .utf8)
            return prepare(work, source: work + "/rec.jsonl")
        },
        BadInputCase(name: "data section differs from the prepared data", expect: ["'data'", "min_bucket: config 5, prepared 4", "max_bucket: config 7, prepared 6"]) {
            try train($0, ["data.min_bucket=5", "data.max_bucket=7"])
        },
        BadInputCase(name: "misspelt optimizer key", expect: ["'optim.learning_rate'", "did you mean 'lr'?", "valid keys in 'optim': lr,"]) {
            try train($0, ["optim.learning_rate=0.01"])
        },
        BadInputCase(name: "resume without a checkpoint", expect: ["has no checkpoint to resume from", "--resume=auto"]) { work in
            var i = try train(work, extra: ["--resume"])
            i.absent = [work + "/run"]
            return i
        },
        BadInputCase(name: "malformed corpus line", expect: ["bad.jsonl:3:", "invalid JSON"]) { work in
            let lines = (try String(contentsOfFile: F.corpusPath, encoding: .utf8)).split(separator: "\n").map(String.init)
            let bad = work + "/bad.jsonl"
            try (lines[0..<2] + ["{\"text\": \"unterminated"] + lines[2...]).joined(separator: "\n").write(toFile: bad, atomically: true, encoding: .utf8)
            return prepare(work, source: bad)
        },
        // Degenerate data: refused at prepare time, before any manifest.
        BadInputCase(name: "corpus with no documents", expect: ["'data.sources'", "empty.jsonl holds no documents"]) { work in
            try "".write(toFile: work + "/empty.jsonl", atomically: true, encoding: .utf8)
            return prepare(work, source: work + "/empty.jsonl")
        },
        BadInputCase(name: "no document long enough for the smallest bucket", expect: ["'data.min_bucket'", "no document is long enough"]) { work in
            try "{\"text\": \"tiny\"}\n{\"text\": \"short\"}\n{\"text\": \"bits\"}\n".write(toFile: work + "/short.jsonl", atomically: true, encoding: .utf8)
            return prepare(work, source: work + "/short.jsonl")
        },
        BadInputCase(name: "bucket range that leaves nothing to train on", expect: ["'data.min_bucket'", "buckets 12...14 leave nothing to train on"]) {
            prepare($0, source: F.corpusPath, extra: ["--min-bucket", "12", "--max-bucket", "14"])
        },
        // Foreign binary formats.
        BadInputCase(name: "Megatron wrong magic", expect: ["m.idx", "bad magic"]) { try F.writeMegatron($0 + "/m", magic: Array("MMIDIDY".utf8) + [0, 0]); return prepare($0, source: $0 + "/m.idx") },
        BadInputCase(name: "Megatron wrong version", expect: ["m.idx", "version 3"]) { try F.writeMegatron($0 + "/m", version: 3); return prepare($0, source: $0 + "/m.idx") },
        BadInputCase(name: "Megatron wrong dtype", expect: ["m.idx", "dtype code 5"]) { try F.writeMegatron($0 + "/m", dtype: 5); return prepare($0, source: $0 + "/m.idx") },
        BadInputCase(name: "llm.c wrong magic", expect: ["l.bin", "bad magic 1234"]) { try F.writeLLMC($0 + "/l.bin", magic: 1234); return prepare($0, source: $0 + "/l.bin") },
        BadInputCase(name: "llm.c wrong version", expect: ["l.bin", "version 2"]) { try F.writeLLMC($0 + "/l.bin", version: 2); return prepare($0, source: $0 + "/l.bin") },
        BadInputCase(name: "llm.c truncated", expect: ["l.bin", "truncated"]) { try F.writeLLMC($0 + "/l.bin", countDelta: 9); return prepare($0, source: $0 + "/l.bin") },
        // Checkpoints.
        BadInputCase(name: "checkpoint of another model shape", expect: ["checkpoint-", "another shape"]) {
            try train($0, ["model.dim=32"], extra: ["--init-from", F.checkpoint])
        },
        BadInputCase(name: "not a checkpoint", expect: ["config.json", "bad magic"]) { work in
            try train(work, extra: ["--init-from", try F.writeConfig(in: work)])
        },
        BadInputCase(name: "every checkpoint damaged on resume", expect: ["checkpoints", "verifies"]) { work in
            let run = try F.copy(F.trainedRun, tag: "rel-run")
            for name in try FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints") {
                let p = run + "/checkpoints/" + name
                try F.damage(p, offset: try FileIO.size(p) - 64, count: 4)
            }
            var i = try train(work, extra: ["--resume"]); i.args[4] = run; i.outputs = []
            return i
        },
        // Output folders.
        BadInputCase(name: "unwritable run folder", expect: ["ro/run", "Read-only file system"]) { work in
            guard F.mountTmpfs(work + "/ro", options: "ro,size=1m") else { return nil }
            var i = try train(work); i.args[4] = work + "/ro/run"; i.cleanup = { F.unmount(work + "/ro") }
            return i
        },
        BadInputCase(name: "unwritable dataset folder", expect: ["ro/prep", "Read-only file system"]) { work in
            guard F.mountTmpfs(work + "/ro", options: "ro,size=1m") else { return nil }
            var i = prepare(work, source: F.corpusPath, out: work + "/ro/prep"); i.cleanup = { F.unmount(work + "/ro") }
            return i
        },
        BadInputCase(name: "full disk while checkpointing", expect: ["checkpoint-", "No space left on device"]) { work in
            guard F.mountTmpfs(work + "/full", options: "size=64k") else { return nil }
            var i = try train(work, ["train.checkpoint_every=1"]); i.args[4] = work + "/full/run"
            i.outputs = [work + "/full"]; i.cleanup = { F.unmount(work + "/full") }
            return i
        },
        BadInputCase(name: "full disk while preparing", expect: ["No space left on device"]) { work in
            guard F.mountTmpfs(work + "/full", options: "size=16k") else { return nil }
            var i = prepare(work, source: F.corpusPath, out: work + "/full/prep"); i.cleanup = { F.unmount(work + "/full") }
            return i
        },
    ]

    /// Each case under `mpirun -np 2`: a non-zero exit; every rank gone within 10 s (mpirun's own limit, so a hang
    /// fails the case instead of blocking the suite); every "ddtrain:" line of the output is one line naming the
    /// problem with its fix; the expected key or file is named; and no manifest, shard, checkpoint or temporary
    /// file is left in the output folders.
    @Test(arguments: 0..<badInputCases.count)
    func badInputFailsCleanly(index: Int) throws {
        let c = Self.badInputCases[index]
        _ = ReliabilityFixture.dataDirectory
        if c.name.contains("checkpoint") { _ = ReliabilityFixture.trainedRun }
        let work = MPIRunner.temporaryDirectory("rel-bad")
        guard let inv = try c.setup(work) else { return }
        defer { inv.cleanup() }
        let res = try MPIRunner.mpirun(2, inv.args, environment: inv.environment, timeout: 10)
        #expect(res.status != 0, "\(c.name): exit status 0")
        #expect(!res.timedOut && !res.stderr.contains("time limit"), "\(c.name): the job was still running after 10 s")
        let lines = res.stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix("ddtrain:") }
        try #require(!lines.isEmpty, "\(c.name): no ddtrain error line in: \(res.stderr)")
        for line in lines {
            #expect(line.contains("(fix: "), "\(c.name): the line does not say how to fix it: \(line)")
        }
        for e in c.expect {
            #expect(lines.contains { $0.contains(e) }, "\(c.name): no line names \"\(e)\": \(lines)")
        }
        for dir in inv.outputs {
            #expect(ReliabilityFixture.partialOutputs(in: dir).isEmpty, "\(c.name): left behind in \(dir): \(ReliabilityFixture.partialOutputs(in: dir))")
        }
        for path in inv.absent {
            #expect(!FileManager.default.fileExists(atPath: path), "\(c.name): left \(path) behind")
        }
        #expect(ReliabilityFixture.survivors(work).isEmpty, "\(c.name): ranks still alive: \(ReliabilityFixture.survivors(work))")
    }
}
