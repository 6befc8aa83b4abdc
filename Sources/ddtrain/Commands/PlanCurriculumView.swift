import Curriculum
import Trainer
import Support

/// The parts of `ddtrain plan`'s text that explain the curriculum: what grows over a cycle and where the step
/// count comes from.
enum PlanCurriculumView {
    /// Whether the run is a baseline (one fixed layout, no curriculum).
    static func isBaseline(_ c: CurriculumConfig) -> Bool { [.concat, .concatMasked, .packed].contains(c.batching) }

    /// The curriculum's heading: the schedule and cycles, or the baseline's fixed layout.
    static func scheduleText(_ planner: StepPlanner) -> String {
        let c = planner.config
        if isBaseline(c) {
            return "baseline \(c.batching.rawValue) at length \(c.contextLength) (no curriculum)"
        }
        return "schedule \(c.schedule.rawValue), \(planner.cycles) cycle\(planner.cycles == 1 ? "" : "s")"
    }

    /// Per trained length: its odds and its share of the tokens in each tenth of a cycle (every cycle pooled), in
    /// percent.
    /// The odds are fixed; a step picks a length by odds among the lengths with batches left, so the shares
    /// move over the cycle — toward the long lengths for Grow-*, toward the short ones for Shrink-*.
    static func sharesByTenth(_ planner: StepPlanner) -> [String] {
        guard !isBaseline(planner.config), planner.cycles > 0 else { return [] }
        let lengths = planner.activeLayouts.map { planner.layouts[$0].trainedLength }
        var tokens = [[Double]](repeating: [Double](repeating: 0, count: lengths.count), count: 10)
        for cycle in 0..<planner.cycles {
            let steps = planner.steps(ofCycle: cycle)
            for step in steps {
                let tenth = min(9, (step - steps.lowerBound) * 10 / max(1, steps.count))
                for s in planner.plan(step: step).sequences {
                    if let i = planner.activeLayouts.firstIndex(of: s.layout) { tokens[tenth][i] += Double(s.length) }
                }
            }
        }
        let totals = tokens.map { $0.reduce(0, +) }
        var lines = ["share of tokens (%) per length through a cycle, by tenth (\(planner.cycles) cycle\(planner.cycles == 1 ? "" : "s") pooled); odds fixed per length:",
                     "length".leftPadded(8) + "odds".leftPadded(10) + "  " + (1...10).map { "\($0 * 10)%".leftPadded(5) }.joined()]
        for (i, length) in lengths.enumerated() {
            let shares = (0..<10).map { t in totals[t] > 0 ? fixed(100 * tokens[t][i] / totals[t], 0) : "-" }
            lines.append(String(length).leftPadded(8) + compact(planner.odds[i]).leftPadded(10) + "  " + shares.map { $0.leftPadded(5) }.joined())
        }
        return lines
    }

    /// Why the run has the steps it has: the tokens asked for, and each length's share rounded down to whole steps.
    static func stepCountText(_ planner: StepPlanner) -> String {
        let c = planner.config, b = c.tokensPerStep
        let planned = planner.plannedTokens
        let asked = c.totalTokens > 0 ? "total_tokens \(c.totalTokens)" : "all \(planned.reduce(0, +)) trainable tokens of the data"
        let whole = planned.map { $0 / b }
        let parts = zip(planner.activeLayouts, zip(planned, whole)).map { l, tw in "\(planner.layouts[l].trainedLength): \(tw.0) → \(tw.1)" }
        var text = "steps: \(asked) ÷ \(b) tokens per step = \(fixed(Double(planned.reduce(0, +)) / Double(b), 1)); "
            + (parts.count > 1 ? "each length's tokens are rounded down to whole steps (\(parts.joined(separator: ", "))), " : "rounded down, ")
            + "so \(whole.reduce(0, +)) steps"
        if whole.reduce(0, +) != planner.totalSteps { text += "; the schedule keeps \(planner.totalSteps)" }
        return text
    }

    private static func compact(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : scientific(x) }
}
