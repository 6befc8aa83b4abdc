import Corpus
import Curriculum
import Support
import Trainer
import Transformer

/// The attention segments a run trained on: how many segments of each length. A segment is what one token
/// can attend within: a whole sequence without document masking, one document's part of it with masking.
public struct SegmentHistogram: Equatable {
    /// Segment length → number of segments.
    public var counts: [Int: Int] = [:]
    /// True when read from the prepared data by replaying the run's plan; false when estimated from the metrics
    /// (sequences × mean length per step), which ignores document masking inside baseline chunks.
    public var exact = false

    /// A histogram from counts per length.
    public init(counts: [Int: Int] = [:], exact: Bool = false) {
        self.counts = counts
        self.exact = exact
    }

    /// Trained positions in all segments.
    public var tokens: Int { counts.reduce(0) { $0 + $1.key * $1.value } }

    /// The paper's average context length: Σ l(l−1)/2 / Σ l (method.md §5), the mean number of earlier
    /// positions a token attends to.
    public var averageContext: Double {
        var pairs = 0.0, positions = 0.0
        for (l, n) in counts {
            pairs += Double(n) * Double(l) * Double(l - 1) / 2
            positions += Double(n) * Double(l)
        }
        return positions > 0 ? pairs / positions : .nan
    }

    /// Training FLOPs (forward + backward) of every segment, and the attention matmuls' part of them, as the
    /// model counts them (`ModelConfig.trainingFLOPs`): the attention part is the total less the per-token matmuls.
    public func flops(_ model: ModelConfig) -> (total: Double, attention: Double) {
        var total = 0.0
        for (l, n) in counts { total += Double(n) * model.trainingFLOPs(segmentLengths: [l]) }
        let linear = 3 * Double(tokens) * model.matmulFLOPsPerToken
        return (total, total - linear)
    }

    /// The attention share of all training FLOPs.
    public func attentionShare(_ model: ModelConfig) -> Double {
        let f = flops(model)
        return f.total > 0 ? f.attention / f.total : .nan
    }
}

/// Works out a run's trained segment lengths and its model, for the FLOP and context columns.
public enum ReportSegments {
    /// Replays the run's plan over the prepared data when its folder (data.dir of the run's config) is readable,
    /// so segments follow document boundaries exactly; otherwise estimates them from the metrics.
    public static func histogram(_ run: ReportRun) -> SegmentHistogram {
        if let exact = try? replay(run) { return exact }
        var h = SegmentHistogram()
        for s in run.steps where s.sequences > 0 {
            let l = Int((s.meanLength).rounded())
            h.counts[l, default: 0] += s.sequences
        }
        return h
    }

    /// The segment lengths of every step recorded in the run's metrics, from the plan and the data's document starts.
    static func replay(_ run: ReportRun) throws -> SegmentHistogram {
        let config = try TrainingConfig(json: run.config)
        let store = try DatasetStore(directory: config.data.directory)
        let planner = try StepPlanner(config: config.curriculum, layouts: DataLayouts.counts(store.manifest),
                                      worldSize: store.manifest.shardCount)
        var h = SegmentHistogram(exact: true)
        for recorded in run.steps {
            let plan = planner.plan(step: recorded.step)
            // A plan that disagrees with the log (data prepared again differently since) cannot be trusted.
            guard plan.sequences.count == recorded.sequences else {
                throw DDError("\(run.directory): step \(recorded.step) of the replayed plan does not match the metrics")
            }
            var stepTokens = 0
            for ref in plan.sequences {
                let info = store.manifest.layouts[ref.layout]
                // A packed bin trains on its own tokens less one (it may hold fewer than L + 1), as the trainer does.
                let trained = info.fixedLength
                    ? ref.length : try store.sequenceLength(layout: ref.layout, shard: ref.shard, split: .train, index: ref.index) - 1
                stepTokens += trained
                guard plan.documentMasking, info.kind.hasIndex else {
                    h.counts[trained, default: 0] += 1
                    continue
                }
                let starts = try store.documentStarts(layout: ref.layout, shard: ref.shard, split: .train, index: ref.index)
                var previous = 0
                for cut in starts.filter({ $0 > 0 && $0 < trained }).sorted() {
                    h.counts[cut - previous, default: 0] += 1
                    previous = cut
                }
                h.counts[trained - previous, default: 0] += 1
            }
            // The metrics count the positions actually trained; the replay must reach the same number.
            guard stepTokens == recorded.tokens else {
                throw DDError("\(run.directory): step \(recorded.step) replays \(stepTokens) tokens, the metrics say \(recorded.tokens)")
            }
        }
        return h
    }

    /// The run's model config; the vocabulary comes from the prepared data when readable, else from the tokenizer.
    public static func model(_ run: ReportRun) throws -> ModelConfig {
        let config = try TrainingConfig(json: run.config)
        let vocabulary = (try? DatasetStore(directory: config.data.directory))?.manifest.tokenizer.vocabularySize
            ?? TokenizerInfo.known(config.data.tokenizer)?.vocabularySize
        return try config.modelConfig(vocabulary: vocabulary)
    }
}
