import Curriculum
import Support
import Trainer
import Transformer

/// The report as Markdown: the comparison table, the step-time-by-length table and notes on the columns.
public enum ReportTable {
    /// The whole Markdown document; `figures` are file names (relative to the report) to link.
    public static func markdown(title: String, report: Report, figures: [String]) -> String {
        let rows = report.rows
        var md = "# \(title)\n\n"
        md += report.hasSeeds ? "\(rows.count) run(s) of \(report.groups.count) variant(s). " : "\(rows.count) run(s). "
        md += baselineSentence(report) + "\n\n"
        if let machine = ReportMachine.markdown(report.runs) { md += machine + "\n" }
        if report.hasSeeds {
            md += ReportVariantTable.markdown(report.variants, baseline: report.baseline?.name) + "\n## Runs\n\n"
        }
        md += comparison(rows, hasBaseline: report.hasTarget)
        md += "\n" + notes(rows)
        if let warning = longestLengthWarning(rows) { md += "\n" + warning }
        if let timing = stepTimeSection(report.runs) { md += "\n" + timing }
        if !figures.isEmpty {
            md += "\n## Figures\n\n"
            if report.hasSeeds { md += "Lines are each variant's mean over its seeds; the shaded band spans their minimum to maximum.\n\n" }
            for f in figures { md += "![\(f)](\(f))\n\n" }
        }
        return md
    }

    /// Which run or variant is the baseline and what its target loss is.
    static func baselineSentence(_ report: Report) -> String {
        guard let baseline = report.baseline, let target = ReportVariants.target(baseline) else {
            return "No baseline run (name one with --baseline, or include a concat-and-chunk run) so there is no target loss and the time-to-target columns show —."
        }
        guard baseline.runs.count > 1 else {
            return "Baseline: **\(baseline.runs[0].name)** (final held-out loss \(fixed(target, 4)); the time-to-target column is when each run first reached it)."
        }
        let loss = SeedStatistics(baseline.runs.map { $0.finalEval?.loss ?? .nan })
        return "Baseline: **\(baseline.name)** (\(baseline.runs.count) seeds, final held-out loss \(loss.text(4))); the time-to-target "
            + "columns are when each run first reached its mean, \(fixed(target, 4))."
    }

    /// A warning naming the runs not scored at the longest bucket length any run was scored at (so the long-context
    /// comparison would miss them); nil when every run has it.
    static func longestLengthWarning(_ rows: [ReportRow]) -> String? {
        guard let longest = rows.flatMap(\.bucketLosses.keys).max() else { return nil }
        let missing = rows.filter { $0.bucketLosses[longest] == nil }.map(\.name)
        guard !missing.isEmpty else { return nil }
        return "Warning: \(missing.joined(separator: ", ")) have no held-out loss at \(longest) tokens, the longest length scored; "
            + "set \"eval.layouts\": \"buckets\" in every run so each is scored at every bucket length.\n"
    }

    /// The main table: one row per run. Without a baseline the time-to-target columns hold "—" (no target),
    /// as the text above the table says; "not reached" is kept for runs that missed an existing target.
    public static func comparison(_ rows: [ReportRow], hasBaseline: Bool) -> String {
        let lengths = Set(rows.flatMap(\.bucketLosses.keys)).sorted()
        var header = ["run", "setup", "held-out loss"] + lengths.map { "loss @\($0)" }
        header += ["tokens", "wall time (s)", "tokens/s", "attention share of FLOPs", "avg context (tokens)",
                   "time to baseline loss (s)", "tokens to baseline loss"]
        var md = "| " + header.joined(separator: " | ") + " |\n"
        md += "|" + header.map { _ in "---" }.joined(separator: "|") + "|\n"
        for r in rows {
            var cells = [r.name, r.setup, number(r.finalLoss, 4)]
            cells += lengths.map { number(r.bucketLosses[$0] ?? .nan, 4) }
            cells += [String(r.tokens), number(r.wallSeconds, 1), number(r.tokensPerSecond, 0),
                      r.attentionShare.isFinite ? fixed(100 * r.attentionShare, 1) + " %" : "—",
                      number(r.averageContext, 1) + (r.segmentsExact ? "" : " (est.)"),
                      r.timeToBaseline.map { fixed($0.seconds, 1) } ?? (hasBaseline ? "not reached" : "—"),
                      r.timeToBaseline.map { String(Int($0.tokens.rounded())) } ?? "—"]
            md += "| " + cells.joined(separator: " | ") + " |\n"
        }
        return md
    }

    /// What the columns mean, and warnings about comparability.
    static func notes(_ rows: [ReportRow]) -> String {
        var md = "Columns: held-out loss is the token-weighted mean cross-entropy (nats/token) over every evaluated layout at the end; "
        md += "loss @L is the final held-out loss on bucket L (held-out pieces of one document, positions from 0); "
        md += "tokens/s counts training steps only (evaluation and checkpoints excluded); the attention share is attention-matmul FLOPs "
        md += "over all training FLOPs (forward + backward) of the sequences trained; average context is Σ l(l−1)/2 / Σ l over the attention "
        md += "segments trained (a segment is a document inside a chunk when attention is masked); the time to the baseline's loss is "
        md += "interpolated linearly between evaluations.\n"
        if rows.contains(where: { !$0.segmentsExact }) {
            md += "\n(est.): the prepared data was not readable, so segments were taken as whole sequences from the metrics; "
            md += "document masking inside chunks is not seen and the figures are upper bounds.\n"
        }
        if Set(rows.map { $0.evalLayouts.joined(separator: ",") }).count > 1 {
            md += "\nWarning: the runs were evaluated on different held-out layouts, so their losses are not directly comparable; "
            md += "set \"eval.layouts\": \"buckets\" in every run to score them on the same held-out sequences.\n"
        }
        return md
    }

    /// Measured step time per length against the predictions, for the run with the most single-length steps.
    static func stepTimeSection(_ runs: [ReportRun]) -> String? {
        guard let (run, times) = ReportMeasures.mostTimedRun(runs), let model = try? ReportSegments.model(run), let config = try? TrainingConfig(json: run.config) else { return nil }
        let configured = config.curriculum.balance.cost
        let fitted = ReportMeasures.fittedCost(times)
        let first = times[0]
        let firstFLOPs = ReportMeasures.stepFLOPs(model, length: first.length, sequences: first.sequences)
        let firstCost = Double(first.sequences) * configured.cost(first.length)
        var md = "## Step time by sequence length\n\n"
        md += "Run **\(run.name)**: median time of its steps at each length (same tokens per step), relative to the shortest, "
        md += "against the model's FLOPs and the balancer's cost model α·l + β·l² (configured α = \(configured.alpha), β = \(configured.beta))"
        if let fitted { md += "; least-squares fit to these times: α = \(sci(fitted.alpha)) s, β = \(sci(fitted.beta)) s" }
        md += "; FLOPs (ms) is the model's FLOPs at each length times one least-squares seconds-per-FLOP factor.\n\n"
        md += "| length | steps | sequences/step | median step (ms) | measured ratio | FLOPs ratio | cost-model ratio | FLOPs (ms) | α, β fit (ms) |\n"
        md += "|---|---|---|---|---|---|---|---|---|\n"
        let predicted = ReportMeasures.flopsPrediction(times, model: model)
        for (t, p) in zip(times, predicted) {
            let flops = ReportMeasures.stepFLOPs(model, length: t.length, sequences: t.sequences)
            let cost = Double(t.sequences) * configured.cost(t.length)
            let fit = fitted.map { Double(t.sequences) * $0.cost(t.length) * 1e3 }
            md += "| \(t.length) | \(t.steps) | \(t.sequences) | \(fixed(t.medianSeconds * 1e3, 1)) | "
            md += "\(fixed(t.medianSeconds / first.medianSeconds, 3)) | \(fixed(flops / firstFLOPs, 3)) | \(fixed(cost / firstCost, 3)) | "
            md += "\(fixed(p * 1e3, 1)) | "
            md += (fit.map { fixed($0, 1) } ?? "—") + " |\n"
        }
        return md
    }

    private static func number(_ x: Double, _ decimals: Int) -> String { x.isFinite ? fixed(x, decimals) : "—" }

    /// Scientific notation with 3 significant digits (small fitted coefficients).
    private static func sci(_ x: Double) -> String {
        guard x.isFinite, x != 0 else { return fixed(x, 1) }
        var e = 0, m = abs(x)
        while m >= 10 { m /= 10; e += 1 }
        while m < 1 { m *= 10; e -= 1 }
        return (x < 0 ? "-" : "") + fixed(m, 2) + "e" + String(e)
    }
}
