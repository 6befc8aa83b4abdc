import Corpus
import Curriculum
import Support

/// One key of a training config, as docs/config.md lists it.
public struct ConfigKey {
    /// The section's dotted path ("" for the top level).
    public let section: String
    public let key: String
    /// The JSON type and, for choices, the allowed values.
    public let type: String
    /// The default as the resolved config writes it; nil when `defaultNote` says what happens instead.
    public let value: JSON?
    /// The default in words when it is not a plain value (taken from the data, every bucket, ...).
    public let defaultNote: String?
    public let meaning: String

    init(_ section: String, _ key: String, _ type: String, _ value: JSON?, _ meaning: String, note: String? = nil) {
        self.section = section
        self.key = key
        self.type = type
        self.value = value
        defaultNote = note
        self.meaning = meaning
    }

    /// The default as the reference prints it.
    public var defaultText: String { defaultNote ?? value?.compact ?? "" }
}

/// Every key a training config accepts, section by section in the order the config reader asks for them: the
/// source of docs/config.md (`ddtrain config --markdown`). A test parses a config with a stray key in every section
/// and checks that the reader's list of valid keys equals this table, and that the defaults are the parsed ones.
public enum ConfigReference {
    static func choices(_ values: [String]) -> String { "string: " + values.joined(separator: " | ") }

    public static let keys: [ConfigKey] = [
        ConfigKey("", "data", "object", nil, "the corpus and how `prepare` cuts it; see [data](#data)", note: "the prepared data's"),
        ConfigKey("", "model", "object", nil, "the transformer's shape; see [model](#model)", note: "defaults"),
        ConfigKey("", "curriculum", "object", nil, "how steps are formed from the data; see [curriculum](#curriculum)", note: "defaults"),
        ConfigKey("", "optim", "object", nil, "AdamW and the learning-rate schedule; see [optim](#optim)", note: "defaults"),
        ConfigKey("", "train", "object", nil, "checkpoints, logging, evaluation cadence, ranks; see [train](#train)", note: "defaults"),
        ConfigKey("", "eval", "object", nil, "held-out evaluation; see [eval](#eval)", note: "defaults"),
        ConfigKey("", "name", "string", nil, "a label; `train` names the run folder runs/NAME after the config file", note: "none"),
        ConfigKey("", "description", "string", nil, "free text", note: "none"),

        ConfigKey("data", "dir", "string", .string("data/prepared"), "folder of the prepared dataset (`prepare` writes it, `train` reads it)"),
        ConfigKey("data", "sources", "array of strings", .array([.string("assets/corpus/default.jsonl.gz")]),
                  "files and folders of the raw corpus (a single string is accepted)"),
        ConfigKey("data", "format", choices(SourceFormat.allCases.map(\.rawValue)), .string("auto"),
                  "corpus format; auto: folder or .txt → text, .jsonl(.gz) → jsonl, .idx/.bin → megatron, other .bin → llmc"),
        ConfigKey("data", "text_field", "string", .string("text"), "JSON Lines key that holds a document's text"),
        ConfigKey("data", "tokenizer", choices(["byte", "gpt2"]), .string("byte"), "byte-level (257 ids) or GPT-2 BPE (50,257 ids)"),
        ConfigKey("data", "tokenizer_dir", "string", .string("assets/gpt2"), "folder of GPT-2's encoder.json and vocab.bpe"),
        ConfigKey("data", "min_bucket", "integer 1…30", .int(6), "smallest bucket k: pieces of 2^k tokens"),
        ConfigKey("data", "max_bucket", "integer 1…30", .int(10), "largest bucket k (the longest trained sequence is 2^k)"),
        ConfigKey("data", "pieces", choices(PieceMode.allCases.map(\.rawValue)), .string("reference"),
                  "reference: a piece of bucket k holds 2^k + 1 tokens (2^k targets); exact: 2^k tokens"),
        ConfigKey("data", "long_docs", choices(LongDocumentRule.allCases.map(\.rawValue)), .string("seeded"),
                  "bucket of content longer than the largest piece: seeded draw (equal tokens per bucket) or always the largest"),
        ConfigKey("data", "seed", "integer ≥ 0", .int(0), "seed of the validation split and of the long-document draw"),
        ConfigKey("data", "valid_fraction", "number 0…0.5", .number(0.02), "share of documents held out for evaluation"),
        ConfigKey("data", "baselines", "array of integers", .ints([1024]), "context lengths L of concat-and-chunk and packing layouts to build too"),

        ConfigKey("model", "layers", "integer 1…1024", .int(6), "transformer blocks"),
        ConfigKey("model", "dim", "integer", .int(384), "model width"),
        ConfigKey("model", "heads", "integer", .int(6), "attention heads (must divide dim; dim/heads must be even)"),
        ConfigKey("model", "vocab", "integer", nil, "vocabulary size; when given it must equal the data's", note: "the data's tokenizer"),
        ConfigKey("model", "norm", choices(["rmsnorm", "layernorm"]), .string("rmsnorm"), "normalisation of the pre-norm blocks"),
        ConfigKey("model", "qk_norm", "boolean", .bool(false), "RMSNorm over each head's queries and keys"),
        ConfigKey("model", "rope_base", "number > 1", .number(10000), "RoPE base frequency"),
        ConfigKey("model", "mlp", choices(["swiglu", "gelu"]), .string("swiglu"), "feed-forward block"),
        ConfigKey("model", "tied_embeddings", "boolean", .bool(false), "the output head reuses the embedding table"),
        ConfigKey("model", "norm_eps", "number 0…1", .number(1e-5), "epsilon of the norms"),
        ConfigKey("model", "init_std", "number 0…10", .number(0.02), "standard deviation of the initial weights"),

        ConfigKey("curriculum", "batching", choices(Batching.allCases.map(\.rawValue)), .string("bucket"),
                  "bucket: one length per step (DD); mixed: several lengths per step; concat, concat_masked, packed: baselines at context_length"),
        ConfigKey("curriculum", "context_length", "integer ≥ 1", .int(2048), "the baselines' sequence length L (data.baselines must hold it)"),
        ConfigKey("curriculum", "mixture", "string or object", .string("natural"),
                  "tokens per bucket over the run: natural (the corpus's shares), equal, or {\"k\": tokens, ...}"),
        ConfigKey("curriculum", "buckets", "array of integers", nil, "the bucket exponents k trained on", note: "every bucket of the data"),
        ConfigKey("curriculum", "schedule", choices(Schedule.allCases.map(\.rawValue)), .string("grow_p2"),
                  "the curriculum: each bucket's odds of being picked over a cycle (docs/method.md); odds: listed in `odds`"),
        ConfigKey("curriculum", "odds", "array of numbers", nil, "explicit odds, one per selected bucket (schedule \"odds\" only)", note: "none"),
        ConfigKey("curriculum", "cycles", "integer ≥ 1", .int(8), "how many times the curriculum repeats over the run"),
        ConfigKey("curriculum", "weights", choices(WeightRule.allCases.map(\.rawValue)), .string("odds"),
                  "a bucket's weight when a step picks its bucket: its odds (the paper's Algorithm 1) or batches × odds (reference code)"),
        ConfigKey("curriculum", "tokens_per_step", "integer ≥ 1", .int(65_536), "tokens of one optimisation step, over all ranks"),
        ConfigKey("curriculum", "total_tokens", "integer ≥ 0", .int(0), "tokens of the whole run (0: all the data holds in the chosen buckets)"),
        ConfigKey("curriculum", "seed", "integer ≥ 0", .int(1234), "seed of the schedule and of the sequence order"),
        ConfigKey("curriculum", "balance", "object", nil, "how a step's sequences are split over ranks; see [curriculum.balance](#curriculumbalance)", note: "defaults"),

        ConfigKey("curriculum.balance", "partitioner", choices(PartitionerKind.allCases.map(\.rawValue)), .string("lpt"), "the algorithm that splits a step over ranks"),
        ConfigKey("curriculum.balance", "alpha", "number ≥ 0", .number(1), "cost model α·l + β·l²: cost per token"),
        ConfigKey("curriculum.balance", "beta", "number ≥ 0", .number(1.0 / 4096), "cost model: cost per token of attention length"),
        ConfigKey("curriculum.balance", "calibrate", "boolean", .bool(false), "time two lengths at start and fit α, β on this machine"),
        ConfigKey("curriculum.balance", "speed_update_every", "integer ≥ 0", .int(20), "steps between rank speed-factor updates (0: equal speeds)"),
        ConfigKey("curriculum.balance", "locality", "boolean", .bool(true), "keep sequences on their owner rank when that costs nothing"),

        ConfigKey("optim", "lr", "number ≥ 0", .number(3e-3), "peak learning rate (after warm-up; cosine decay to min_lr)"),
        ConfigKey("optim", "min_lr", "number ≥ 0", .number(3e-5), "learning rate at the end of the run (≤ lr)"),
        ConfigKey("optim", "warmup_steps", "integer ≥ 0", .int(20), "linear warm-up steps"),
        ConfigKey("optim", "beta1", "number 0…0.999999", .number(0.9), "AdamW β1"),
        ConfigKey("optim", "beta2", "number 0…0.999999", .number(0.95), "AdamW β2"),
        ConfigKey("optim", "eps", "number ≥ 0", .number(1e-8), "AdamW ε"),
        ConfigKey("optim", "weight_decay", "number ≥ 0", .number(0.033), "decoupled weight decay"),
        ConfigKey("optim", "decay_norms_and_embeddings", "boolean", .bool(false), "decay norm gains and embeddings too"),
        ConfigKey("optim", "clip", "number ≥ 0", .number(1), "global gradient-norm clip (0: off)"),
        ConfigKey("optim", "z_loss", "number ≥ 0", .number(1e-4), "weight of the z-loss (log² of the softmax normaliser)"),

        ConfigKey("train", "seed", "integer ≥ 0", .int(1234), "seed of the model's initial weights"),
        ConfigKey("train", "checkpoint_every", "integer ≥ 0", .int(100), "steps between checkpoints (0: only at cycle ends and at the end)"),
        ConfigKey("train", "keep_checkpoints", "integer ≥ 1", .int(3), "checkpoints kept (the newest)"),
        ConfigKey("train", "eval_every", "integer ≥ 0", .int(100), "steps between held-out evaluations (0: only at the end)"),
        ConfigKey("train", "log_every", "integer ≥ 1", .int(10), "steps between progress lines in a log file"),
        ConfigKey("train", "zero1", "boolean", .bool(false), "shard AdamW's state across ranks (ZeRO-1)"),
        ConfigKey("train", "grad_bucket_mb", "number ≥ 0.01", .number(8), "largest gradient bucket handed to the communication thread (buckets also end where each layer's MLP and attention blocks do)"),
        ConfigKey("train", "threads", "integer 1…256", .int(1),
                  "threads per rank: its worker pool and OpenBLAS (DDTRAIN_THREADS, set by launch/run --threads, overrides)"),
        ConfigKey("train", "precision", choices(PrecisionSetting.allCases.map(\.rawValue)), .string("auto"),
                  "matrix products in fp32, or bf16 operands with fp32 accumulation; auto: bf16 where this CPU's bf16 kernel "
                  + "beats the fp32 kernel the Linear layers would run (f32-avx512, or sgemm without AVX-512) by 1.25× (docs/kernels.md)"),
        ConfigKey("train", "max_steps", "integer ≥ 0", .int(0), "stop after this many steps (0: the whole curriculum)"),
        ConfigKey("train", "watchdog_s", "number ≥ 0", .number(0), "end the job when a rank waits longer than this in one collective (0: off)"),
        ConfigKey("train", "resume", "boolean or \"auto\"", .bool(false),
                  "continue from the run folder's newest checkpoint; auto: only when there is one (`--resume[=auto]` overrides)"),

        ConfigKey("eval", "max_sequences_per_bucket", "integer ≥ 1", .int(64), "held-out sequences evaluated per layout"),
        ConfigKey("eval", "position_bin_min", "integer ≥ 1", .int(64), "narrowest position range of the loss-by-position report"),
        ConfigKey("eval", "layouts", choices(EvalLayouts.allCases.map(\.rawValue)), .string("trained"),
                  "trained: the layouts the run trains on; buckets: every bucket (compares DD with baselines); all"),
    ]

    /// The sections in order ("" first).
    public static var sections: [String] {
        keys.map(\.section).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
    }

    /// The reference as Markdown: docs/config.md.
    public static func markdown() -> String {
        var out = """
        # Config reference

        Every key of a training config (`ddtrain train --config FILE`), by section. Unknown keys are errors that
        name the valid keys of their section. Any key can be overridden on the command line with
        `--set section.key=value`. The `data` section is checked against the prepared data's manifest: a key
        stated there must agree with it, and a key left out is taken from it. Generated by
        `ddtrain config --markdown` from the table the tests check against the config reader.

        """
        for section in sections {
            out += "\n## " + (section.isEmpty ? "top level" : section) + "\n\n| key | type | default | meaning |\n|---|---|---|---|\n"
            for k in keys where k.section == section {
                out += "| `\(k.key)` | \(k.type.split(separator: "|", omittingEmptySubsequences: false).joined(separator: "\\|")) | \(k.defaultNote ?? "`\(k.defaultText)`") | \(k.meaning) |\n"
            }
        }
        return out
    }
}
