import Foundation
import TestSupport
@testable import Support
@testable import Trainer

/// Watches a supervised training run from outside, through its run folder and /proc, and kills its ranks:
/// the chaos test's driver. Every wait polls with a deadline, so nothing it does can hang a test.
struct ChaosDriver {
    /// The run folder (it also marks the ranks' command lines).
    let run: String
    /// When the driver gives up waiting.
    let deadline: Date

    /// Thrown when a wait outlives the deadline.
    struct Timeout: Error, CustomStringConvertible {
        let what: String
        var description: String { "chaos driver: gave up waiting for \(what)" }
    }

    /// Polls `condition` every 5 ms until it returns a value; throws at the deadline or when `alive` says the
    /// job is gone.
    func wait<T>(for what: String, alive: () -> Bool = { true }, _ condition: () -> T?) throws -> T {
        while Date() < deadline {
            if let v = condition() { return v }
            guard alive() else { throw Timeout(what: what + " (the job ended first)") }
            usleep(5_000)
        }
        throw Timeout(what: what)
    }

    /// The live `ddtrain train` processes of this run: pid → rank (OMPI_COMM_WORLD_RANK in their environment).
    func ranks() -> [pid_t: Int] {
        var found: [pid_t: Int] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry),
                  let args = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")?.split(separator: 0).map({ String(decoding: $0, as: UTF8.self) }),
                  args.count > 1, args[0].hasSuffix("ddtrain"), args[1] == "train", args.contains(where: { $0.contains(run) }),
                  let env = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { continue }
            let rank = env.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
                .first { $0.hasPrefix("OMPI_COMM_WORLD_RANK=") }.flatMap { Int($0.dropFirst("OMPI_COMM_WORLD_RANK=".count)) }
            if let rank { found[pid] = rank }
        }
        return found
    }

    /// The identity of metrics.jsonl (a resumed attempt rewrites it under a new inode); nil while absent.
    func metricsInode() -> UInt64? {
        var st = stat()
        return stat(run + "/metrics.jsonl", &st) == 0 ? UInt64(st.st_ino) : nil
    }

    /// Steps of the training records in metrics.jsonl (a line cut short is skipped).
    func trainedSteps() -> [Int] {
        let text = (try? String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard let j = try? JSONParser.parse(String(line)), j["type"]?.stringValue == "train" else { return nil }
            return j["step"]?.intValue
        }
    }

    /// Records of restarts.jsonl so far.
    func attempts() -> [JSON] {
        let text = (try? String(contentsOfFile: run + "/restarts.jsonl", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
    }

    /// Whether the run folder holds a checkpoint.
    func hasCheckpoint() -> Bool { ((try? CheckpointStore(runDirectory: run, keep: 1).newestStep()) ?? nil) != nil }

    /// The name of a checkpoint being written (`checkpoint-N.ddt.tmp-PID`) by the live rank `writer`, if any.
    func checkpointBeingWritten(by writer: pid_t) -> String? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints")) ?? []
        return names.first { $0.hasSuffix(".ddt.tmp-\(writer)") }
    }
}
