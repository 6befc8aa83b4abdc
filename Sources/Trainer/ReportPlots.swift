import Support

/// The report's figures, as SVG documents keyed by file name.
public enum ReportPlots {
    /// Every figure the runs allow, in a fixed order: loss vs tokens, loss vs wall time, sequence length over
    /// steps, loss per length, step time per length.
    public static func all(_ runs: [ReportRun]) -> [(name: String, svg: String)] {
        var out: [(String, String)] = [
            ("loss_vs_tokens.svg", lossVsTokens(runs)), ("loss_vs_time.svg", lossVsTime(runs)),
            ("length_over_steps.svg", lengthOverSteps(runs)),
        ]
        if let perLength = lossPerLength(runs) { out.append(("loss_per_length.svg", perLength)) }
        if let timing = stepTimePerLength(runs) { out.append(("step_time_per_length.svg", timing)) }
        return out
    }

    /// Held-out loss against tokens trained, one line per run.
    public static func lossVsTokens(_ runs: [ReportRun]) -> String {
        let series = runs.enumerated().map { i, r in
            PlotSeries(name: r.name, points: r.evals.map { (Double($0.tokensSeen) / 1e6, $0.loss) }, markers: true, colour: i)
        }
        return SVGLinePlot(title: "Held-out loss vs tokens trained", xLabel: "tokens trained (millions)",
                           yLabel: "held-out loss (nats/token)", series: series, xIncludesZero: true).svg()
    }

    /// Held-out loss against wall time, one line per run.
    public static func lossVsTime(_ runs: [ReportRun]) -> String {
        let series = runs.enumerated().map { i, r in
            PlotSeries(name: r.name, points: r.evals.map { ($0.elapsed, $0.loss) }, markers: true, colour: i)
        }
        return SVGLinePlot(title: "Held-out loss vs wall time", xLabel: "wall time (s)", yLabel: "held-out loss (nats/token)",
                           series: series, xIncludesZero: true).svg()
    }

    /// Mean sequence length of every step (the curriculum's saw-tooth), one panel per run, all panels on the
    /// same axes (steps; log2 length) so runs compare at a glance. Each step's length holds until the next step.
    public static func lengthOverSteps(_ runs: [ReportRun]) -> String {
        let series = runs.map { r -> PlotSeries in
            var points = r.steps.map { (x: Double($0.step), y: $0.meanLength) }
            if let last = r.steps.last { points.append((Double(last.step + 1), last.meanLength)) }
            return PlotSeries(name: r.name, points: points, stairs: true)
        }
        let shared = SVGLinePlot(title: "", xLabel: "step", yLabel: "sequence length (tokens)", yScale: .log2, series: series,
                                 xIncludesZero: true)
        let plots = series.enumerated().map { i, s -> SVGLinePlot in
            var p = shared
            p.title = s.name
            p.series = [s]
            p.firstColour = i
            return p
        }
        return SVGPanels.svg(title: "Sequence length over training steps (mean tokens per sequence)", plots: plots,
                             columns: runs.count > 4 ? 3 : 2)
    }

    /// Final held-out loss against bucket length, one line per run; nil when no run was scored per bucket.
    public static func lossPerLength(_ runs: [ReportRun]) -> String? {
        let series = runs.enumerated().compactMap { i, r -> PlotSeries? in
            let losses = r.finalEval?.bucketLosses ?? [:]
            guard !losses.isEmpty else { return nil }
            return PlotSeries(name: r.name, points: losses.keys.sorted().map { (Double($0), losses[$0]!) }, markers: true, colour: i)
        }
        guard !series.isEmpty else { return nil }
        return SVGLinePlot(title: "Final held-out loss per sequence length", xLabel: "held-out sequence length (tokens)",
                           yLabel: "held-out loss (nats/token)", xScale: .log2, series: series).svg()
    }

    /// Median step time against sequence length for runs with single-length steps, and (dashed, "FLOPs model") the
    /// model-FLOPs prediction for the run with the most such steps, scaled by its least-squares seconds per FLOP; nil when no
    /// run has two lengths.
    public static func stepTimePerLength(_ runs: [ReportRun]) -> String? {
        var series = runs.enumerated().compactMap { i, r -> PlotSeries? in
            let times = ReportMeasures.stepTimes(r)
            guard times.count >= 2 else { return nil }
            return PlotSeries(name: r.name, points: times.map { (Double($0.length), $0.medianSeconds * 1e3) }, markers: true, colour: i)
        }
        guard !series.isEmpty else { return nil }
        if let (run, times) = ReportMeasures.mostTimedRun(runs), let model = try? ReportSegments.model(run) {
            let predicted = ReportMeasures.flopsPrediction(times, model: model)
            series.append(PlotSeries(name: "FLOPs model, scaled",
                                     points: zip(times, predicted).map { (Double($0.length), $1 * 1e3) }, dashed: true,
                                     colour: SVGLinePlot.palette.count - 1))
        }
        return SVGLinePlot(title: "Median step time per sequence length (same tokens per step)", xLabel: "sequence length (tokens)",
                           yLabel: "step time (ms)", xScale: .log2, series: series).svg()
    }
}
