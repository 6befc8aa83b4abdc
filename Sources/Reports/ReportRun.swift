import Support
import Trainer

/// One training step as the report needs it (a "train" record of metrics.jsonl).
public struct ReportStep: Equatable {
    public var step: Int
    public var cycle: Int
    /// Layout names of the step ("bucket-08", "concat-2048").
    public var layouts: [String]
    /// Tokens per sequence, averaged over the step's sequences.
    public var meanLength: Double
    public var sequences: Int
    public var tokens: Int
    public var tokensSeen: Int
    public var loss: Double
    public var stepSeconds: Double
    public var elapsed: Double
}

/// One held-out evaluation (an "eval" record of metrics.jsonl).
public struct ReportEval: Equatable {
    public var step: Int
    public var tokensSeen: Int
    public var elapsed: Double
    /// Token-weighted mean over every evaluated layout.
    public var loss: Double
    /// Per layout: (name, trained length, loss), in the record's order.
    public var layouts: [(name: String, length: Int, loss: Double)]

    /// Field-by-field equality (tuples are not Equatable on their own).
    public static func == (a: ReportEval, b: ReportEval) -> Bool {
        a.step == b.step && a.tokensSeen == b.tokensSeen && a.elapsed == b.elapsed && a.loss == b.loss
            && a.layouts.count == b.layouts.count
            && zip(a.layouts, b.layouts).allSatisfy { $0.name == $1.name && $0.length == $1.length && $0.loss == $1.loss }
    }

    /// The loss on bucket layouts only, by trained length.
    public var bucketLosses: [Int: Double] {
        var out: [Int: Double] = [:]
        for l in layouts where l.name.hasPrefix("bucket-") { out[l.length] = l.loss }
        return out
    }
}

/// A finished (or partly finished) run folder read back for the report: config, metrics and summary.
public struct ReportRun {
    /// The folder's last path component (a sweep's variant name).
    public let name: String
    public let directory: String
    /// The resolved config the run saved (config.json).
    public let config: JSON
    public let steps: [ReportStep]
    public let evals: [ReportEval]
    /// summary.json, when the run finished.
    public let summary: JSON?

    /// Reads RUN/config.json, RUN/metrics.jsonl and (if present) RUN/summary.json.
    public static func load(directory: String) throws -> ReportRun {
        let trimmed = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        for file in ["config.json", "metrics.jsonl"] where !FileIO.exists(trimmed + "/" + file) {
            throw DDError.file(trimmed, "is not a run folder (no \(file))", fix: "pass folders written by 'ddtrain train' or 'ddtrain sweep'")
        }
        let config = try FileIO.readJSON(trimmed + "/config.json")
        let summaryPath = trimmed + "/summary.json"
        let summary = FileIO.exists(summaryPath) ? try FileIO.readJSON(summaryPath) : nil
        let metricsPath = trimmed + "/metrics.jsonl"
        var steps: [ReportStep] = [], evals: [ReportEval] = []
        for (n, record) in try MetricsLog.read(metricsPath).enumerated() {
            let field = Field(path: metricsPath, line: n + 1, record: record)
            switch record["type"]?.stringValue {
            case "train":
                steps.append(ReportStep(
                    step: try field.int("step"), cycle: try field.int("cycle"),
                    layouts: (record["layouts"]?.arrayValue ?? []).compactMap(\.stringValue),
                    meanLength: try field.number("mean_length"), sequences: try field.int("sequences"),
                    tokens: try field.int("tokens"), tokensSeen: try field.int("tokens_seen"), loss: try field.number("loss"),
                    stepSeconds: try field.number("step_s"), elapsed: try field.number("elapsed_s")))
            case "eval":
                var layouts: [(name: String, length: Int, loss: Double)] = []
                for (layoutName, entry) in record["layouts"]?.objectValue ?? [] {
                    guard let length = entry["length"]?.intValue, let loss = entry["loss"]?.doubleValue else {
                        throw DDError.file(metricsPath, "line \(n + 1): eval layout \(layoutName) lacks length or loss",
                                           fix: "remove the damaged line or re-run the evaluation")
                    }
                    layouts.append((layoutName, length, loss))
                }
                evals.append(ReportEval(step: try field.int("step"), tokensSeen: try field.int("tokens_seen"),
                                        elapsed: try field.number("elapsed_s"), loss: try field.number("loss"), layouts: layouts))
            default:
                continue
            }
        }
        let name = trimmed.split(separator: "/").last.map(String.init) ?? trimmed
        return ReportRun(name: name, directory: trimmed, config: config, steps: steps, evals: evals, summary: summary)
    }

    /// The last evaluation (the final one for a finished run).
    public var finalEval: ReportEval? { evals.last }

    /// Wall time of the run: summary.json's, else the last record's elapsed time.
    public var wallSeconds: Double {
        summary?["wall_seconds"]?.doubleValue ?? max(steps.last?.elapsed ?? 0, evals.last?.elapsed ?? 0)
    }

    /// Tokens trained on.
    public var tokens: Int { steps.last?.tokensSeen ?? 0 }

    /// Training throughput: tokens over the summed step times (evaluation and checkpoint time excluded).
    public var trainTokensPerSecond: Double {
        let seconds = steps.reduce(0) { $0 + $1.stepSeconds }
        return seconds > 0 ? Double(tokens) / seconds : .nan
    }

    /// The config's curriculum.batching ("bucket" when absent, the trainer's default).
    public var batching: String { config["curriculum"]?["batching"]?.stringValue ?? "bucket" }
}

/// Reads required fields of one metrics record, with errors naming the file, line and field.
private struct Field {
    let path: String
    let line: Int
    let record: JSON

    /// A number; null (how the writer stores a non-finite value, e.g. a diverged loss) reads as NaN.
    func number(_ key: String) throws -> Double {
        if record[key] == .null { return .nan }
        guard let x = record[key]?.doubleValue else {
            throw DDError.file(path, "line \(line): field \"\(key)\" is missing or not a number", fix: "remove the damaged line")
        }
        return x
    }

    func int(_ key: String) throws -> Int {
        guard let x = record[key]?.intValue else {
            throw DDError.file(path, "line \(line): field \"\(key)\" is missing or not an integer", fix: "remove the damaged line")
        }
        return x
    }
}
