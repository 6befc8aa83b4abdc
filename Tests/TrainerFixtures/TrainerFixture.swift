import Foundation
import TestSupport
import Corpus
import Support

/// A small prepared dataset and configs for multi-process training tests.
///
/// Documents are deterministic word sequences of log-spread lengths (20 to 3,000 bytes) so every bucket from
/// 2^4 to 2^8 and the concat/packed baselines get sequences; they are prepared as 2 shards so owners differ.
public enum TrainerFixture {
    public static let words = ["the", "model", "reads", "a", "document", "of", "many", "lengths", "and", "learns", "to",
                        "predict", "next", "byte", "in", "each", "piece", "curriculum", "grows", "short", "long", "data"]

    /// Prepares the dataset once per process and returns its folder.
    public static let dataDirectory: String = {
        let root = MPIRunner.temporaryDirectory("trainer-data")
        var lines: [String] = []
        var rng = Xoshiro256(seed: 99)
        for _ in 0..<400 {
            let target = Int(20 * pow(150.0, rng.nextDouble()))
            var text = ""
            while text.utf8.count < target { text += words[rng.nextInt(below: words.count)] + (rng.nextInt(below: 9) == 0 ? ".\n" : " ") }
            lines.append(JSON.obj(["text": .string(text)]).compact)
        }
        try! (lines.joined(separator: "\n") + "\n").write(toFile: root + "/docs.jsonl", atomically: true, encoding: .utf8)
        var s = PrepareSettings()
        s.directory = root + "/prepared"
        s.sources = [root + "/docs.jsonl"]
        s.decomposition.minBucket = 4
        s.decomposition.maxBucket = 8
        s.validFraction = 0.1
        s.baselines = [128]
        try! Preparer.prepareInProcess(settings: s, worldSize: 2)
        return s.directory
    }()

    /// Writes a training config for the fixture's data with `curriculum`, `train` and `model` extras.
    public static func config(_ name: String, curriculum: [(String, JSON)] = [], train: [(String, JSON)] = [],
                       optim: [(String, JSON)] = []) -> String {
        let dir = MPIRunner.temporaryDirectory("trainer-config")
        var cur: [(String, JSON)] = [("batching", .string("bucket")), ("schedule", .string("grow_p2")), ("cycles", .int(2)),
                                     ("tokens_per_step", .int(1024)), ("total_tokens", .int(16384)),
                                     ("balance", .obj(["speed_update_every": .int(0)]))]
        for (k, v) in curriculum { cur.removeAll { $0.0 == k }; cur.append((k, v)) }
        var tr: [(String, JSON)] = [("checkpoint_every", .int(3)), ("eval_every", .int(0)), ("log_every", .int(1))]
        for (k, v) in train { tr.removeAll { $0.0 == k }; tr.append((k, v)) }
        var op: [(String, JSON)] = [("lr", .number(3e-3)), ("warmup_steps", .int(2))]
        for (k, v) in optim { op.removeAll { $0.0 == k }; op.append((k, v)) }
        let json = JSON.obj([
            "name": .string(name),
            "data": .obj(["dir": .string(dataDirectory), "min_bucket": .int(4), "max_bucket": .int(8), "baselines": .ints([128]),
                          "valid_fraction": .number(0.1)]),
            "model": .obj(["layers": .int(2), "dim": .int(32), "heads": .int(2)]),
            "curriculum": .object(cur), "optim": .object(op), "train": .object(tr),
            "eval": .obj(["max_sequences_per_bucket": .int(8)]),
        ])
        let path = dir + "/\(name).json"
        try! json.pretty.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Reads a little-endian Float32 file.
    public static func floats(_ path: String) throws -> [Float] {
        let d = try Data(contentsOf: URL(fileURLWithPath: path))
        return d.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
}
