import Curriculum
import Support
import Transformer

/// When a run first reached a held-out loss.
public struct TimeToTarget: Equatable {
    /// Wall seconds since the run started.
    public var seconds: Double
    /// Tokens trained by then.
    public var tokens: Double
}

/// Measured step time at one sequence length (bucket-batched steps: all sequences of one length).
public struct StepTimeAtLength: Equatable {
    public var length: Int
    public var steps: Int
    /// Median step time in seconds (robust to the odd slow step on a shared machine).
    public var medianSeconds: Double
    /// Sequences per step (tokens per step / length).
    public var sequences: Int
}

/// Derived figures of a run: time to a target loss, step time per length.
public enum ReportMeasures {
    /// The first time the held-out loss reached `target`, interpolating linearly (in time and tokens) between
    /// the two evaluations around the crossing; nil when it never did.
    public static func timeToReach(_ target: Double, evals: [ReportEval]) -> TimeToTarget? {
        guard target.isFinite else { return nil }
        var previous: ReportEval? = nil
        for e in evals where e.loss.isFinite {
            if e.loss <= target {
                guard let p = previous, p.loss > target else {
                    return TimeToTarget(seconds: e.elapsed, tokens: Double(e.tokensSeen))
                }
                let f = (p.loss - target) / (p.loss - e.loss)
                return TimeToTarget(seconds: p.elapsed + f * (e.elapsed - p.elapsed),
                                    tokens: Double(p.tokensSeen) + f * Double(e.tokensSeen - p.tokensSeen))
            }
            previous = e
        }
        return nil
    }

    /// Median step time per sequence length over the run's bucket steps (one DD bucket: every sequence has the
    /// same length), shortest length first. The first step (one-off set-up costs) is left out. Baseline steps do
    /// not count: a packed step's mean length is its bins' fill, not a sequence length.
    public static func stepTimes(_ run: ReportRun) -> [StepTimeAtLength] { stepTimes([run]) }

    /// The same over the steps of several runs (a variant's seeds) together, each run's first step left out.
    public static func stepTimes(_ runs: [ReportRun]) -> [StepTimeAtLength] {
        var byLength: [Int: [Double]] = [:], sequences: [Int: Int] = [:]
        for s in runs.flatMap({ $0.steps.dropFirst() }) where s.layouts.count == 1 && s.layouts[0].hasPrefix("bucket")
            && s.sequences > 0 && s.stepSeconds > 0 {
            let l = Int(s.meanLength.rounded())
            byLength[l, default: []].append(s.stepSeconds)
            sequences[l] = s.sequences
        }
        return byLength.keys.sorted().map { l in
            StepTimeAtLength(length: l, steps: byLength[l]!.count, medianSeconds: median(byLength[l]!), sequences: sequences[l]!)
        }
    }

    /// Training FLOPs of one step made of `sequences` sequences of length `length`.
    public static func stepFLOPs(_ model: ModelConfig, length: Int, sequences: Int) -> Double {
        Double(sequences) * model.trainingFLOPs(segmentLengths: [length])
    }

    /// The median of a non-empty list.
    public static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        guard !s.isEmpty else { return .nan }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// The run with the most single-length steps over at least two lengths, and its step times.
    public static func mostTimedRun(_ runs: [ReportRun]) -> (ReportRun, [StepTimeAtLength])? {
        runs.map { ($0, stepTimes($0)) }.filter { $0.1.count >= 2 }
            .max { $0.1.reduce(0) { $0 + $1.steps } < $1.1.reduce(0) { $0 + $1.steps } }
    }

    /// Step times predicted from the model's FLOPs at each length, with one seconds-per-FLOP factor fitted by
    /// least squares to the measured medians (so the shape, not the machine's speed, is what is compared).
    public static func flopsPrediction(_ times: [StepTimeAtLength], model: ModelConfig) -> [Double] {
        let flops = times.map { stepFLOPs(model, length: $0.length, sequences: $0.sequences) }
        let scale = zip(times, flops).reduce(0) { $0 + $1.0.medianSeconds * $1.1 } / flops.reduce(0) { $0 + $1 * $1 }
        return flops.map { $0 * scale }
    }

    /// α, β of the cost model fitted to measured step times (nil with fewer than two lengths).
    public static func fittedCost(_ times: [StepTimeAtLength]) -> CostModel? {
        guard Set(times.map(\.length)).count >= 2 else { return nil }
        return try? CostModel.fit(lengths: times.map(\.length), sequences: times.map(\.sequences), seconds: times.map(\.medianSeconds))
    }
}
