import Support

/// The report's figures, as SVG documents keyed by file name: one line per variant (its runs' mean, with a min–max
/// band when it has several seeds; a variant of one run is that run).
public enum ReportPlots {
    /// Every figure the runs allow, in a fixed order: loss vs tokens, loss vs wall time, sequence length over
    /// steps, loss per length, step time per length.
    public static func all(_ groups: [ReportGroup]) -> [(name: String, svg: String)] {
        var out: [(String, String)] = [
            ("loss_vs_tokens.svg", lossVsTokens(groups)), ("loss_vs_time.svg", lossVsTime(groups)),
            ("length_over_steps.svg", lengthOverSteps(groups)),
        ]
        if let perLength = lossPerLength(groups) { out.append(("loss_per_length.svg", perLength)) }
        if let timing = stepTimePerLength(groups) { out.append(("step_time_per_length.svg", timing)) }
        return out
    }

    /// The evaluations after training started: the untrained model's loss (about ln V) would set the y axis and
    /// flatten the differences that matter.
    static func trainedEvals(_ r: ReportRun) -> [ReportEval] { r.evals.filter { $0.tokensSeen > 0 } }

    /// A variant's curve as a marked series with its band, in the variant's colour.
    static func series(_ g: ReportGroup, _ curve: SeedCurve, colour: Int) -> PlotSeries {
        PlotSeries(name: g.label, points: curve.points, markers: true, colour: colour, band: curve.band(seeds: g.runs.count))
    }

    /// Held-out loss against tokens trained, one line per variant.
    public static func lossVsTokens(_ groups: [ReportGroup]) -> String {
        let series = groups.enumerated().map { i, g in
            ReportPlots.series(g, ReportGroupCurves.loss(g) { Double($0.tokensSeen) / 1e6 }, colour: i)
        }
        return SVGLinePlot(title: "Held-out loss vs tokens trained", xLabel: "tokens trained (millions)",
                           yLabel: "held-out loss (nats/token)", series: series, xIncludesZero: true).svg()
    }

    /// Held-out loss against wall time, one line per variant (x: the seeds' mean time at each evaluation).
    public static func lossVsTime(_ groups: [ReportGroup]) -> String {
        let series = groups.enumerated().map { i, g in ReportPlots.series(g, ReportGroupCurves.loss(g) { $0.elapsed }, colour: i) }
        return SVGLinePlot(title: "Held-out loss vs wall time", xLabel: "wall time (s)", yLabel: "held-out loss (nats/token)",
                           series: series, xIncludesZero: true).svg()
    }

    /// Mean sequence length of every step (the curriculum's saw-tooth), one panel per run, all panels on the
    /// same axes (steps; log2 length) so runs compare at a glance. Each step's length holds until the next step.
    /// A variant of several seeds shows its first run (the seeds change the order within a cycle, not the schedule).
    public static func lengthOverSteps(_ groups: [ReportGroup]) -> String {
        let series = groups.map { g -> PlotSeries in
            let r = g.runs[0]
            var points = r.steps.map { (x: Double($0.step), y: $0.meanLength) }
            if let last = r.steps.last { points.append((Double(last.step + 1), last.meanLength)) }
            return PlotSeries(name: g.runs.count > 1 ? "\(g.name) (\(r.name))" : r.name, points: points, stairs: true)
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
                             columns: groups.count > 4 ? 3 : 2)
    }

    /// Final held-out loss against bucket length, one line per variant; nil when no run was scored per bucket.
    public static func lossPerLength(_ groups: [ReportGroup]) -> String? {
        let series = groups.enumerated().compactMap { i, g -> PlotSeries? in
            let curve = ReportGroupCurves.lossPerLength(g)
            return curve.x.isEmpty ? nil : ReportPlots.series(g, curve, colour: i)
        }
        guard !series.isEmpty else { return nil }
        return SVGLinePlot(title: "Final held-out loss per sequence length", xLabel: "held-out sequence length (tokens)",
                           yLabel: "held-out loss (nats/token)", xScale: .log2, series: series).svg()
    }

    /// Median step time against sequence length for variants with single-length steps (over all their seeds' steps),
    /// and (dashed, "FLOPs model") the model-FLOPs prediction for the run with the most such steps, scaled by its
    /// least-squares seconds per FLOP; nil when no variant has two lengths.
    public static func stepTimePerLength(_ groups: [ReportGroup]) -> String? {
        var series = groups.enumerated().compactMap { i, g -> PlotSeries? in
            let times = ReportMeasures.stepTimes(g.runs)
            guard times.count >= 2 else { return nil }
            return PlotSeries(name: g.label, points: times.map { (Double($0.length), $0.medianSeconds * 1e3) }, markers: true, colour: i)
        }
        guard !series.isEmpty else { return nil }
        if let (run, times) = ReportMeasures.mostTimedRun(groups.flatMap(\.runs)), let model = try? ReportSegments.model(run) {
            let predicted = ReportMeasures.flopsPrediction(times, model: model)
            series.append(PlotSeries(name: "FLOPs model, scaled",
                                     points: zip(times, predicted).map { (Double($0.length), $1 * 1e3) }, dashed: true,
                                     colour: SVGLinePlot.palette.count - 1))
        }
        return SVGLinePlot(title: "Median step time per sequence length (same tokens per step)", xLabel: "sequence length (tokens)",
                           yLabel: "step time (ms)", xScale: .log2, series: series).svg()
    }
}
