import Support

/// Optimizer settings (config section "optim"). Defaults follow the paper's reference run where they make
/// sense at small scale (AdamW β (0.9, 0.95), ε 1e-8, clip 1.0).
public struct OptimConfig: Equatable {
    public var lr = 3e-3
    public var minLR = 3e-5
    public var warmupSteps = 20
    public var beta1 = 0.9
    public var beta2 = 0.95
    public var eps = 1e-8
    public var weightDecay = 0.033
    /// Whether norm gains and embeddings are decayed too (the reference run excludes them).
    public var decayNormsAndEmbeddings = false
    /// Global gradient-norm clip; 0 turns clipping off.
    public var clip = 1.0
    public var zLoss = 1e-4

    public init() {}

    public static func parse(_ r: ConfigReader) throws -> OptimConfig {
        var c = OptimConfig()
        c.lr = try r.double("lr", default: c.lr, min: 0)
        c.minLR = try r.double("min_lr", default: c.minLR, min: 0)
        c.warmupSteps = try r.int("warmup_steps", default: c.warmupSteps, min: 0)
        c.beta1 = try r.double("beta1", default: c.beta1, min: 0, max: 0.999999)
        c.beta2 = try r.double("beta2", default: c.beta2, min: 0, max: 0.999999)
        c.eps = try r.double("eps", default: c.eps, min: 0)
        c.weightDecay = try r.double("weight_decay", default: c.weightDecay, min: 0)
        c.decayNormsAndEmbeddings = try r.bool("decay_norms_and_embeddings", default: c.decayNormsAndEmbeddings)
        c.clip = try r.double("clip", default: c.clip, min: 0)
        c.zLoss = try r.double("z_loss", default: c.zLoss, min: 0)
        try r.finish()
        if c.minLR > c.lr {
            throw DDError.config("optim.min_lr", "\(c.minLR) is above optim.lr \(c.lr)", fix: "set min_lr <= lr")
        }
        return c
    }

    public var json: JSON {
        .obj(["lr": .number(lr), "min_lr": .number(minLR), "warmup_steps": .int(warmupSteps), "beta1": .number(beta1),
              "beta2": .number(beta2), "eps": .number(eps), "weight_decay": .number(weightDecay),
              "decay_norms_and_embeddings": .bool(decayNormsAndEmbeddings), "clip": .number(clip), "z_loss": .number(zLoss)])
    }
}

/// Run settings (config section "train").
public struct RunConfig: Equatable {
    public var seed = 1234
    /// Write a checkpoint every N steps (0: only at cycle ends and at the end).
    public var checkpointEvery = 100
    public var keepCheckpoints = 3
    public var evalEvery = 100
    public var logEvery = 10
    /// Shard the AdamW state across ranks (reduce-scatter, update the shard, allgather).
    public var zero1 = false
    /// Size of a gradient bucket handed to the communication thread, in MB.
    public var gradBucketMB = 8.0
    /// OpenBLAS threads per rank (1 under mpirun with one rank per core).
    public var threads = 1
    /// Arithmetic of the matrix products: fp32, bf16 (bf16 operands, fp32 accumulation, fp32 master weights) or
    /// auto (bf16 where this CPU's bf16 kernel beats fp32 sgemm; see docs/kernels.md).
    public var precision = PrecisionSetting.auto
    /// Stop after this many steps even if the curriculum has more (0: run the whole curriculum).
    public var maxSteps = 0
    /// Stall watchdog: end the job when a rank waits longer than this in one collective, naming the ranks that
    /// have not reached it (0: off; DDTRAIN_WATCHDOG_S overrides). Set it above the longest legitimate wait
    /// (a checkpoint write, an evaluation).
    public var watchdogSeconds = 0.0
    /// Whether to continue from the run folder's newest checkpoint (`--resume` overrides it).
    public var resume = ResumeMode.no

    public init() {}

    public static func parse(_ r: ConfigReader) throws -> RunConfig {
        var c = RunConfig()
        c.seed = try r.int("seed", default: c.seed, min: 0)
        c.checkpointEvery = try r.int("checkpoint_every", default: c.checkpointEvery, min: 0)
        c.keepCheckpoints = try r.int("keep_checkpoints", default: c.keepCheckpoints, min: 1)
        c.evalEvery = try r.int("eval_every", default: c.evalEvery, min: 0)
        c.logEvery = try r.int("log_every", default: c.logEvery, min: 1)
        c.zero1 = try r.bool("zero1", default: c.zero1)
        c.gradBucketMB = try r.double("grad_bucket_mb", default: c.gradBucketMB, min: 0.01)
        c.threads = try r.int("threads", default: c.threads, min: 1, max: 256)
        c.precision = PrecisionSetting(rawValue: try r.choice("precision", PrecisionSetting.allCases.map(\.rawValue),
                                                              default: c.precision.rawValue))!
        c.maxSteps = try r.int("max_steps", default: c.maxSteps, min: 0)
        c.watchdogSeconds = try r.double("watchdog_s", default: c.watchdogSeconds, min: 0)
        c.resume = try ResumeMode.parse(r, key: "resume")
        try r.finish()
        return c
    }

    public var json: JSON {
        .obj(["seed": .int(seed), "checkpoint_every": .int(checkpointEvery), "keep_checkpoints": .int(keepCheckpoints),
              "eval_every": .int(evalEvery), "log_every": .int(logEvery), "zero1": .bool(zero1),
              "grad_bucket_mb": .number(gradBucketMB), "threads": .int(threads), "precision": .string(precision.rawValue),
              "max_steps": .int(maxSteps), "watchdog_s": .number(watchdogSeconds), "resume": resume.json])
    }
}

/// Which held-out layouts an evaluation covers.
public enum EvalLayouts: String, Equatable, CaseIterable {
    /// The layouts the run trains on (a baseline run: its concat or packed layout only).
    case trained
    /// Every bucket of the data, whatever the run trains on, so DD runs and baselines are scored on the same
    /// held-out sequences (sweeps comparing them use this).
    case buckets
    /// Every layout of the data: buckets and baselines.
    case all
}

/// Held-out evaluation settings (config section "eval").
public struct EvalConfig: Equatable {
    /// At most this many held-out sequences per bucket (spread over ranks).
    public var maxSequencesPerBucket = 64
    /// Position ranges for the loss-by-position report: powers of two from this width up.
    public var positionBinMin = 64
    /// The layouts evaluated.
    public var layouts = EvalLayouts.trained

    public init() {}

    public static func parse(_ r: ConfigReader) throws -> EvalConfig {
        var c = EvalConfig()
        c.maxSequencesPerBucket = try r.int("max_sequences_per_bucket", default: c.maxSequencesPerBucket, min: 1)
        c.positionBinMin = try r.int("position_bin_min", default: c.positionBinMin, min: 1)
        c.layouts = EvalLayouts(rawValue: try r.choice("layouts", EvalLayouts.allCases.map(\.rawValue), default: "trained"))!
        try r.finish()
        return c
    }

    public var json: JSON {
        .obj(["max_sequences_per_bucket": .int(maxSequencesPerBucket), "position_bin_min": .int(positionBinMin),
              "layouts": .string(layouts.rawValue)])
    }
}
