import Foundation
import TestSupport
import Testing
@testable import Reports
@testable import Support
@testable import Trainer

/// The report's derived figures against hand or brute-force references, on synthetic run folders.
struct ReportTests {
    /// A run folder with a config (byte tokenizer, 2 layers × 32, SwiGLU; data folder absent) and the given records.
    static func runFolder(_ name: String, batching: String = "bucket", records: [JSON]) -> String {
        let dir = MPIRunner.temporaryDirectory("report") + "/" + name
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let config = JSON.obj([
            "data": .obj(["dir": .string(dir + "/no-data"), "tokenizer": .string("byte")]),
            "model": .obj(["layers": .int(2), "dim": .int(32), "heads": .int(2), "mlp": .string("swiglu")]),
            "curriculum": .obj(["batching": .string(batching), "context_length": .int(128)]),
        ])
        try! config.pretty.write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        try! records.map { $0.compact + "\n" }.joined().write(toFile: dir + "/metrics.jsonl", atomically: true, encoding: .utf8)
        return dir
    }

    static func train(step: Int, sequences: Int, length: Int, seen: Int, seconds: Double = 0.1) -> JSON {
        .obj(["type": .string("train"), "step": .int(step), "cycle": .int(0), "layouts": .array([.string("bucket-x")]),
              "mean_length": .int(length), "sequences": .int(sequences), "tokens": .int(sequences * length),
              "tokens_seen": .int(seen), "loss": .number(4), "step_s": .number(seconds), "elapsed_s": .number(Double(step + 1))])
    }

    static func eval(step: Int, seen: Int, elapsed: Double, loss: Double, buckets: [(Int, Double)] = []) -> JSON {
        let layouts = buckets.map { l, x in ("bucket-\(l)", JSON.obj(["loss": .number(x), "tokens": .int(10), "length": .int(l)])) }
        return .obj(["type": .string("eval"), "step": .int(step), "loss": .number(loss), "tokens": .int(10),
                     "layouts": .object(layouts), "tokens_seen": .int(seen), "elapsed_s": .number(elapsed)])
    }

    @Test func attentionShareAndAverageContextMatchABruteForceCount() throws {
        // Step 0: 4 sequences of 64; step 1: 2 of 128; step 2: 1 of 256.
        let shapes = [(4, 64), (2, 128), (1, 256)]
        var records: [JSON] = [], seen = 0
        for (i, (n, l)) in shapes.enumerated() {
            seen += n * l
            records.append(ReportTests.train(step: i, sequences: n, length: l, seen: seen))
        }
        let run = try ReportRun.load(directory: ReportTests.runFolder("flops", records: records))
        let rows = ReportRows.make([run], target: nil)

        // Brute force: every (query, key) pair with key <= query, and every earlier position a token sees.
        var pairs = 0, earlier = 0, tokens = 0
        for (n, l) in shapes {
            for _ in 0..<n {
                for q in 0..<l {
                    tokens += 1
                    earlier += q
                    for k in 0..<l where k <= q { pairs += 1 }
                }
            }
        }
        // Weights by hand: dim C = 32, SwiGLU hidden F = 8/3·32 rounded up to a multiple of 256 = 256, vocab V = 257.
        // Per layer Q, K, V, O (4·C·C) and the three MLP matrices (3·C·F); the lm_head V·C; the embedding is a gather.
        let weights = 2 * (4 * 32 * 32 + 3 * 32 * 256) + 257 * 32
        let forwardLinear = 2.0 * Double(weights) * Double(tokens)
        let forwardAttention = 2.0 * 2.0 * Double(pairs) * 32 * 2  // QKᵀ and PV, 2 FLOPs per multiply-add, × layers
        let expectedShare = 3 * forwardAttention / (3 * forwardAttention + 3 * forwardLinear)
        #expect(abs(rows[0].attentionShare - expectedShare) < 1e-12)
        #expect(abs(rows[0].averageContext - Double(earlier) / Double(tokens)) < 1e-12)
        #expect(rows[0].segmentsExact == false)  // no data folder: estimated from the metrics
        #expect(rows[0].tokens == seen)
    }

    @Test func timeToTargetInterpolatesBetweenEvaluations() throws {
        let evals = try ReportRun.load(directory: ReportTests.runFolder("ttt", records: [
            ReportTests.eval(step: 0, seen: 0, elapsed: 0, loss: 5),
            ReportTests.eval(step: 10, seen: 1000, elapsed: 10, loss: 4),
            ReportTests.eval(step: 20, seen: 2000, elapsed: 20, loss: 3),
        ])).evals
        #expect(ReportMeasures.timeToReach(3.5, evals: evals) == TimeToTarget(seconds: 15, tokens: 1500))
        #expect(ReportMeasures.timeToReach(3.75, evals: evals) == TimeToTarget(seconds: 12.5, tokens: 1250))
        #expect(ReportMeasures.timeToReach(6, evals: evals) == TimeToTarget(seconds: 0, tokens: 0))
        #expect(ReportMeasures.timeToReach(3, evals: evals) == TimeToTarget(seconds: 20, tokens: 2000))
        #expect(ReportMeasures.timeToReach(2.9, evals: evals) == nil)
    }

    @Test func tableHasARowPerRunAndTheBaselineColumn() throws {
        let base = ReportTests.runFolder("concat", batching: "concat", records: [
            ReportTests.train(step: 0, sequences: 2, length: 128, seen: 256),
            ReportTests.eval(step: 1, seen: 256, elapsed: 8, loss: 4.0, buckets: [(64, 4.2), (128, 3.9)]),
        ])
        let dd = ReportTests.runFolder("dd", records: [
            ReportTests.train(step: 0, sequences: 4, length: 64, seen: 256),
            ReportTests.eval(step: 0, seen: 0, elapsed: 0, loss: 5.0, buckets: [(64, 5.1), (128, 4.9)]),
            ReportTests.eval(step: 1, seen: 256, elapsed: 4, loss: 3.0, buckets: [(64, 3.1), (128, 2.9)]),
        ])
        let report = try Report(runDirectories: [base, dd])
        #expect(report.baseline?.name == "concat")  // the first concat run by default
        let lines = report.markdown.split(separator: "\n")
        let ddRow = try #require(lines.first { $0.hasPrefix("| dd |") })
        // loss 5 → 3 between 0 s and 4 s crosses the baseline's 4.0 at 2 s and 128 tokens.
        #expect(ddRow.contains("| 2.0 | 128 |"))
        #expect(ddRow.contains("| 3.1000 | 2.9000 |"))
        #expect(lines.contains { $0.hasPrefix("| concat | concat L=128 |") })
        // Average context of one 64-token sequence: 63/2.
        #expect(ddRow.contains("| 31.5 (est.) |"))
    }

    @Test func reportErrorsNameTheFolder() throws {
        do {
            _ = try Report(runDirectories: ["/nonexistent/run-x"])
            Issue.record("accepted a missing folder")
        } catch let e as DDError {
            #expect(e.message.contains("/nonexistent/run-x") && e.message.contains("config.json") && e.message.contains("fix"))
        }
        let broken = ReportTests.runFolder("broken", records: [.obj(["type": .string("train"), "step": .int(0)])])
        do {
            _ = try Report(runDirectories: [broken])
            Issue.record("accepted a record without fields")
        } catch let e as DDError {
            #expect(e.message.contains("metrics.jsonl") && e.message.contains("line 1") && e.message.contains("cycle"))
        }
    }

    @Test func flopsPredictionFitsOneScaleByLeastSquares() throws {
        let model = try ReportSegments.model(try ReportRun.load(directory: ReportTests.runFolder("fit", records: [])))
        let shapes = [(64, 64), (256, 16), (1024, 4)]
        let flops = shapes.map { l, n in ReportMeasures.stepFLOPs(model, length: l, sequences: n) }
        // Times exactly 3 ns per FLOP are reproduced; times off by ±10 % at the ends give the least-squares scale
        // Σ t·F / Σ F², worked out here from its definition.
        let exact = zip(shapes, flops).map { StepTimeAtLength(length: $0.0, steps: 5, medianSeconds: 3e-9 * $1, sequences: $0.1) }
        for (p, t) in zip(ReportMeasures.flopsPrediction(exact, model: model), exact) { #expect(abs(p / t.medianSeconds - 1) < 1e-12) }
        let factors = [1.1, 1.0, 0.9]
        var noisy = exact
        for i in noisy.indices { noisy[i].medianSeconds *= factors[i] }
        let scale = 3e-9 * (0..<3).reduce(0) { $0 + factors[$1] * flops[$1] * flops[$1] } / flops.reduce(0) { $0 + $1 * $1 }
        for (p, f) in zip(ReportMeasures.flopsPrediction(noisy, model: model), flops) { #expect(abs(p / (scale * f) - 1) < 1e-12) }
    }

    @Test func niceTicksMatchHandChosenSteps() {
        let a = SVGAxis.niceTicks(0, 0.97)
        #expect(a.lower == 0 && abs(a.upper - 1.0) < 1e-12)
        #expect(a.ticks.count == 6 && abs(a.ticks[1] - 0.2) < 1e-12)
        let b = SVGAxis.niceTicks(3.2, 5.6)
        #expect(abs(b.lower - 3.0) < 1e-12 && abs(b.upper - 6.0) < 1e-12 && b.ticks.count == 7)
        let c = SVGAxis(label: "length", scale: .log2, values: [64, 100, 2048])
        #expect(c.ticks == [64, 128, 256, 512, 1024, 2048])
        // The axis spans log2 64 − 0.3 … log2 2048 + 0.3, so 512 (2^9) sits 3.3 of 5.6 octaves along.
        #expect(abs(c.position(512, from: 0, to: 50) - 50 * 3.3 / 5.6) < 1e-9)
    }

    @Test func svgIsWellFormedAndEscapesText() throws {
        let name = "a<b & \"c\" 'd'"
        let plot = SVGLinePlot(title: "t > s", xLabel: "x (s)", yLabel: "y", series: [
            PlotSeries(name: name, points: [(0, 1), (1, .nan), (2, 3), (3, 4)], markers: true),
            PlotSeries(name: "second", points: [(0, 2), (3, 1)], stairs: true),
        ])
        let parsed = try SVGCheck.parse(data: Data(plot.svg().utf8), name: "plot")
        #expect(parsed.root == "svg")
        #expect(parsed.texts.contains(name) && parsed.texts.contains("t > s"))
        // The NaN splits the first series: one polyline before it has a single point (not drawn), one after.
        #expect(parsed.polylines == 2)
    }
}

/// Step time per length counts bucket steps only: a packed baseline's steps (mean lengths 2,036–2,048 from its
/// bins' fill) must not pass for a length sweep.
@Suite struct StepTimeSelectionTests {
    @Test func packedStepsAreNotALengthSweep() throws {
        let dir = NSTemporaryDirectory() + "ddtrain-steptimes-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "{}".write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        var lines: [String] = []
        for (i, (layout, mean)) in [("packed-2048", 2040.0), ("packed-2048", 2036.0), ("packed-2048", 2048.0),
                                     ("bucket-06", 64.0), ("bucket-07", 128.0), ("bucket-06", 64.0)].enumerated() {
            lines.append(JSON.obj(["type": .string("train"), "step": .int(i), "cycle": .int(0), "layouts": .array([.string(layout)]),
                                   "mean_length": .number(mean), "sequences": .int(2), "tokens": .int(4096), "tokens_seen": .int(4096 * (i + 1)),
                                   "loss": .number(3), "step_s": .number(Double(i + 1)), "elapsed_s": .number(Double(i + 1))]).compact)
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/metrics.jsonl", atomically: true, encoding: .utf8)
        let run = try ReportRun.load(directory: dir)
        let times = ReportMeasures.stepTimes(run)
        #expect(times.map(\.length) == [64, 128])
        #expect(times.map(\.steps) == [2, 1])
        #expect(times[0].medianSeconds == 5)  // steps 3 and 5 took 4 s and 6 s
    }
}
