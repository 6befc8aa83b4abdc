import Foundation
import Testing
import TestSupport
@testable import Corpus
@testable import Support

/// Every multi-process reliability test, run one at a time (two MPI jobs at once would share the cores and
/// time each other out). The tests live in extensions, one file per concern.
@Suite(.serialized) struct ReliabilityTests {}

/// Inputs shared by the reliability tests: a small corpus prepared as 2 shards, a config for it, a trained
/// checkpoint, and writers of Megatron and llm.c files.
enum ReliabilityFixture {
    static let words = ["a", "model", "reads", "the", "pieces", "of", "each", "document", "and", "learns", "next", "bytes"]

    /// The corpus as JSON Lines: 90 documents of 20 to 2,000 bytes.
    static let corpusPath: String = {
        let root = MPIRunner.temporaryDirectory("rel-corpus")
        var rng = Xoshiro256(seed: 7)
        var lines: [String] = []
        for _ in 0..<90 {
            let target = Int(20 * pow(100.0, rng.nextDouble()))
            var text = ""
            while text.utf8.count < target { text += words[rng.nextInt(below: words.count)] + " " }
            lines.append(JSON.obj(["text": .string(text)]).compact)
        }
        let path = root + "/docs.jsonl"
        try! (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }()

    /// The corpus prepared in process as 2 shards (buckets 2^4..2^6), once per test process.
    static let dataDirectory: String = {
        var s = settings
        s.directory = MPIRunner.temporaryDirectory("rel-data") + "/prepared"
        try! Preparer.prepareInProcess(settings: s, worldSize: 2)
        return s.directory
    }()

    /// The prepare settings of the fixture's data.
    static var settings: PrepareSettings {
        var s = PrepareSettings()
        s.sources = [corpusPath]
        s.decomposition.minBucket = 4
        s.decomposition.maxBucket = 6
        s.validFraction = 0.1
        return s
    }

    /// The training config (JSON) for data in `dataDir`.
    static func configJSON(dataDir: String) -> JSON {
        .obj([
            "name": .string("reliability"),
            "data": .obj(["dir": .string(dataDir), "sources": .array([.string(corpusPath)]), "min_bucket": .int(4), "max_bucket": .int(6),
                          "valid_fraction": .number(0.1)]),
            "model": .obj(["layers": .int(1), "dim": .int(16), "heads": .int(2)]),
            "curriculum": .obj(["tokens_per_step": .int(256), "total_tokens": .int(4096), "cycles": .int(1),
                                "balance": .obj(["speed_update_every": .int(0)])]),
            "train": .obj(["checkpoint_every": .int(2), "eval_every": .int(0), "log_every": .int(1)]),
            "eval": .obj(["max_sequences_per_bucket": .int(4)]),
        ])
    }

    /// Writes the config for `dataDir` (default: the fixture's data) into `directory`; returns its path.
    static func writeConfig(in directory: String, dataDir: String? = nil) throws -> String {
        let path = directory + "/config.json"
        try configJSON(dataDir: dataDir ?? dataDirectory).pretty.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A run of 2 steps on 2 ranks, made once: its folder holds checkpoints of the fixture's model.
    static let trainedRun: String = {
        let dir = MPIRunner.temporaryDirectory("rel-trained")
        let config = try! writeConfig(in: dir)
        let res = try! MPIRunner.mpirun(2, ["train", "--config", config, "--out", dir + "/run", "--set", "train.max_steps=2"], timeout: 120)
        precondition(res.status == 0, "the fixture's training run failed: \(res.stderr)")
        return dir + "/run"
    }()

    /// The newest checkpoint of `trainedRun`.
    static var checkpoint: String {
        let dir = trainedRun + "/checkpoints"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return dir + "/" + names.filter { $0.hasSuffix(".ddt") }.sorted().last!
    }

    /// A copy of `source` (a folder) at a new temporary path.
    static func copy(_ source: String, tag: String) throws -> String {
        let dest = MPIRunner.temporaryDirectory(tag) + "/copy"
        try FileManager.default.copyItem(atPath: source, toPath: dest)
        return dest
    }

    /// Documents as token lists for the binary formats: 20 documents of 40..230 byte ids.
    static var tokenDocuments: [[UInt16]] {
        var rng = Xoshiro256(seed: 3)
        return (0..<20).map { i in (0..<(40 + 10 * i)).map { _ in UInt16(rng.nextInt(below: 256)) } }
    }

    /// Writes an llm.c shard (header of 256 int32: magic, version, token count; then uint16 tokens, each
    /// document opened by end-of-text 256) with the given header fields.
    static func writeLLMC(_ path: String, magic: Int32 = 20240520, version: Int32 = 1, countDelta: Int32 = 0) throws {
        var stream: [UInt16] = []
        for d in tokenDocuments { stream.append(256); stream += d }
        var header = [Int32](repeating: 0, count: 256)
        header[0] = magic; header[1] = version; header[2] = Int32(stream.count) + countDelta
        var data = header.withUnsafeBytes { Data($0) }
        stream.withUnsafeBytes { data.append(contentsOf: $0) }
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// Writes a Megatron MMIDIDX pair PREFIX.idx/.bin (uint16 tokens, dtype code 8 unless `dtype` says otherwise).
    static func writeMegatron(_ prefix: String, magic: [UInt8] = Array("MMIDIDX".utf8) + [0, 0], version: UInt64 = 1, dtype: UInt8 = 8) throws {
        let docs = tokenDocuments.map { $0 + [256] }
        var idx = Data(magic)
        withUnsafeBytes(of: version.littleEndian) { idx.append(contentsOf: $0) }
        idx.append(dtype)
        withUnsafeBytes(of: Int64(docs.count).littleEndian) { idx.append(contentsOf: $0) }
        withUnsafeBytes(of: Int64(docs.count + 1).littleEndian) { idx.append(contentsOf: $0) }
        for d in docs { withUnsafeBytes(of: Int32(d.count).littleEndian) { idx.append(contentsOf: $0) } }
        var offset: Int64 = 0
        for d in docs { withUnsafeBytes(of: offset.littleEndian) { idx.append(contentsOf: $0) }; offset += Int64(2 * d.count) }
        for i in 0...docs.count { withUnsafeBytes(of: Int64(i).littleEndian) { idx.append(contentsOf: $0) } }
        var bin = Data()
        for d in docs { d.withUnsafeBytes { bin.append(contentsOf: $0) } }
        try idx.write(to: URL(fileURLWithPath: prefix + ".idx"))
        try bin.write(to: URL(fileURLWithPath: prefix + ".bin"))
    }

    /// Overwrites `count` bytes of `path` at `offset` with 0xFF (a damaged block that keeps the size).
    static func damage(_ path: String, offset: Int = 0, count: Int? = nil) throws {
        var d = try Data(contentsOf: URL(fileURLWithPath: path))
        let n = count ?? d.count - offset
        for i in offset..<min(d.count, offset + n) { d[i] = 0xFF }
        try d.write(to: URL(fileURLWithPath: path))
    }

    /// Mounts a tmpfs at `path` (as root); false, with the reason printed, where the system refuses.
    static func mountTmpfs(_ path: String, options: String) -> Bool {
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let res = try? ProcessRunner.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", path], timeout: 20)
        if res?.status == 0 { return true }
        print("skipped: cannot mount a tmpfs at \(path) (\(res?.stderr.trimmingCharacters(in: .whitespacesAndNewlines) ?? "mount not run")); run as root to cover this case")
        return false
    }

    /// Unmounts a tmpfs mounted by `mountTmpfs`.
    static func unmount(_ path: String) {
        _ = try? ProcessRunner.run(["umount", "-l", path], timeout: 20)
    }

    /// Files under `directory` that a failed job must not leave: manifests, shards, indexes, checkpoints and
    /// temporary files.
    static func partialOutputs(in directory: String) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: directory) else { return [] }
        return e.compactMap { $0 as? String }.filter { rel in
            let name = (rel as NSString).lastPathComponent
            return name == "manifest.json" || name.hasSuffix(".tokens") || name.hasSuffix(".index") || name.hasSuffix(".ddt")
                || name.contains(".tmp-")
        }
    }

    /// Processes whose command line contains `marker` (a job's unique folder): ranks that outlived their job.
    static func survivors(_ marker: String) -> [String] {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { Int($0) != nil } ?? []
        return pids.compactMap { pid in
            guard let d = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            let cmd = String(decoding: d.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return cmd.contains(marker) ? "\(pid): \(cmd)" : nil
        }
    }
}
