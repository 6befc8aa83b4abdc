import Support

/// The figures of one run as the report table shows them.
public struct ReportRow {
    public var name: String
    /// "DD grow_p2 ×8", "concat L=2048", "concat+mask L=2048", "packed+mask L=2048", …
    public var setup: String
    /// Final held-out loss over every evaluated layout (token-weighted).
    public var finalLoss: Double
    /// Final held-out loss per bucket length.
    public var bucketLosses: [Int: Double]
    public var tokens: Int
    public var wallSeconds: Double
    /// Tokens per second of training steps (evaluation and checkpoints excluded).
    public var tokensPerSecond: Double
    /// Attention matmul FLOPs / all training FLOPs.
    public var attentionShare: Double
    /// Σ l(l−1)/2 / Σ l over the attention segments trained.
    public var averageContext: Double
    /// Whether the two columns above come from the data (exact) or the metrics (estimate).
    public var segmentsExact: Bool
    /// When the run reached the baseline's final held-out loss (nil: never, or no baseline).
    public var timeToBaseline: TimeToTarget?
    /// The evaluated layouts' names, to warn when runs were scored on different held-out sets.
    public var evalLayouts: [String]

    /// The row as JSON (report.json).
    public var json: JSON {
        .obj([
            "name": .string(name), "setup": .string(setup), "final_loss": .number(finalLoss),
            "loss_by_length": .object(bucketLosses.keys.sorted().map { (String($0), JSON.number(bucketLosses[$0]!)) }),
            "tokens": .int(tokens), "wall_seconds": .number(wallSeconds), "tokens_per_s": .number(tokensPerSecond),
            "attention_flops_share": .number(attentionShare), "average_context": .number(averageContext),
            "segments_exact": .bool(segmentsExact),
            "time_to_baseline_loss_s": timeToBaseline.map { .number($0.seconds) } ?? .null,
            "tokens_to_baseline_loss": timeToBaseline.map { .number($0.tokens) } ?? .null,
            "eval_layouts": .array(evalLayouts.map { .string($0) }),
        ])
    }
}

/// Turns loaded runs into table rows.
public enum ReportRows {
    /// One row per run, in the order given; the time-to-target column is when each run first reached `target`
    /// (the baseline variant's mean final held-out loss, ReportVariants.target).
    public static func make(_ runs: [ReportRun], target: Double?) -> [ReportRow] {
        runs.map { run in
            let segments = ReportSegments.histogram(run)
            let model = try? ReportSegments.model(run)
            return ReportRow(
                name: run.name, setup: setup(run), finalLoss: run.finalEval?.loss ?? .nan,
                bucketLosses: run.finalEval?.bucketLosses ?? [:], tokens: run.tokens, wallSeconds: run.wallSeconds,
                tokensPerSecond: run.trainTokensPerSecond,
                attentionShare: model.map { segments.attentionShare($0) } ?? .nan,
                averageContext: segments.averageContext, segmentsExact: segments.exact,
                timeToBaseline: target.flatMap { ReportMeasures.timeToReach($0, evals: run.evals) },
                evalLayouts: run.finalEval?.layouts.map(\.name) ?? [])
        }
    }

    /// A short description of what a run trains: DD with its schedule and cycles, or a baseline and its length.
    public static func setup(_ run: ReportRun) -> String {
        let c = run.config["curriculum"]
        let length = c?["context_length"]?.intValue ?? 2048
        switch run.batching {
        case "concat": return "concat L=\(length)"
        case "concat_masked": return "concat+mask L=\(length)"
        case "packed": return "packed+mask L=\(length)"
        case let b:
            let schedule = c?["schedule"]?.stringValue ?? "grow_p2"
            let cycles = c?["cycles"]?.intValue ?? 8
            return (b == "mixed" ? "DD mixed " : "DD ") + "\(schedule) ×\(cycles)"
        }
    }
}
