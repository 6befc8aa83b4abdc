import Comm
import Corpus
import Curriculum
import Support
import Transformer

/// `ddtrain eval`: the held-out loss of a checkpoint per layout and by position range, with the trainer's own
/// `Evaluator` (so the figures equal the run's eval records for the same parameters).
public enum CheckpointEvaluation {
    /// Evaluates `context`'s checkpoint on the validation split of the dataset in `dataDirectory` (default: the run
    /// config's data.dir). With the run's own data, the layouts are those its curriculum trained on; with other data,
    /// every layout that has held-out sequences. Every rank evaluates its share; the record is the same on all ranks.
    public static func run(_ context: CheckpointContext, dataDirectory: String?, maxSequencesPerLayout: Int?,
                           comm: Communicator) throws -> JSON {
        guard let directory = dataDirectory ?? context.runConfig?.data.directory else {
            throw DDError.file(context.path, "has no run config.json beside its checkpoints folder to name the data",
                               fix: "pass --data DIR (a prepared dataset)")
        }
        let store = try DatasetStore(directory: directory)
        let vocab = store.manifest.tokenizer.vocabularySize
        guard vocab == context.modelConfig.vocab else {
            throw DDError.file(directory, "was prepared with tokenizer \"\(store.manifest.tokenizer.name)\" (\(vocab) ids) but the model has \(context.modelConfig.vocab)",
                               fix: "evaluate on data prepared with the run's tokenizer")
        }
        var evalConfig = context.runConfig?.eval ?? EvalConfig()
        if let maxSequencesPerLayout { evalConfig.maxSequencesPerBucket = maxSequencesPerLayout }
        let layouts: [Int]
        let documentMasking: Bool
        if let run = context.runConfig, run.data.directory == directory {
            layouts = try StepPlanner(config: run.curriculum, layouts: DataLayouts.counts(store.manifest),
                                      worldSize: store.manifest.shardCount).activeLayouts
            documentMasking = run.curriculum.documentMasking
        } else {
            layouts = store.manifest.layouts.indices.filter { store.manifest.layouts[$0].validCounts.reduce(0, +) > 0 }
            documentMasking = context.runConfig?.curriculum.documentMasking ?? true
        }
        let longest = layouts.map { store.manifest.layouts[$0].tokensPerSequence }.max() ?? 1
        // Batches of up to a training step (at most 8,192 tokens: one rank's arena), never less than one sequence.
        let batchTokens = max(longest, min(context.runConfig?.curriculum.tokensPerStep ?? 8192, 8192))
        let model = try context.loadModel(maxTokens: batchTokens)
        let evaluator = Evaluator(config: evalConfig, store: store, layouts: layouts)
        let record = try evaluator.run(model: model, comm: comm, documentMasking: documentMasking)
        return record.setting("checkpoint", to: .string(context.path)).setting("data", to: .string(directory))
            .setting("next_step", to: context.header["next_step"] ?? .null)
            .setting("tokens_seen", to: context.header["tokens_seen"] ?? .null)
    }

    /// The record as a table: overall loss, then per layout its loss, tokens and loss by position range.
    public static func text(_ record: JSON) -> String {
        var s = "checkpoint \(record["checkpoint"]?.stringValue ?? "?") (step \(record["next_step"]?.intValue ?? 0)), "
            + "data \(record["data"]?.stringValue ?? "?")\n"
        s += "held-out loss \(fixed(record["loss"]?.doubleValue ?? .nan, 4)) over \(record["tokens"]?.intValue ?? 0) tokens\n"
        for (name, l) in record["layouts"]?.objectValue ?? [] {
            s += "  " + name.padded(14) + " loss " + fixed(l["loss"]?.doubleValue ?? .nan, 4)
                + "  tokens " + String(l["tokens"]?.intValue ?? 0).leftPadded(8) + "  by position:"
            for (range, v) in l["loss_by_position"]?.objectValue ?? [] { s += " \(range) \(fixed(v.doubleValue ?? .nan, 3))" }
            s += "\n"
        }
        return s
    }
}
