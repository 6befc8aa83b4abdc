import Comm
import Corpus
import Curriculum
import Kernels
import Support
import Transformer
#if canImport(Glibc)
import Glibc
#endif

/// One `ddtrain train` run on every rank: set-up, the step loop, evaluation, checkpoints and the summary.
///
/// Each step: plan (pure, every rank) → partition → exchange (one alltoallv when something moves) →
/// forward/backward with the gradient allreduce overlapping backward → global loss and token count →
/// gradient of the mean loss (÷ global token count) → clip → AdamW → next learning rate.
public final class TrainingSession {
    public let config: TrainingConfig
    public let comm: Communicator
    public let runDirectory: String
    public let store: DatasetStore
    public let planner: StepPlanner
    public let model: Model
    public let modelConfig: ModelConfig
    var partitioner: Partitioner
    var speeds: SpeedEstimator
    let schedule: LearningRateSchedule
    /// AdamW over this rank's part of the buffer (`sync.shard`: all of it, or its ZeRO-1 shard).
    let optimizer: AdamWOptimizer
    let sync: GradientSync
    let checkpoints: CheckpointStore
    let evaluator: Evaluator
    /// The first step this process runs (after a resume, the checkpoint's).
    public internal(set) var startStep = 0
    /// Steps the run takes in total.
    public let totalSteps: Int
    var tokensSeen = 0
    var elapsedBefore = 0.0
    var runStart = 0.0
    let faults: FaultInjection
    /// The exit code all ranks agreed on at the last step boundary because of a signal (0: keep going).
    var agreedStop: Int32 = 0
    /// A name shown at the start of every progress line (a sweep's variant).
    public var label: String?

    /// Sets the run up: reads the data and config, builds the model (fresh, from `initFrom`, or from the run's
    /// latest checkpoint with `resume`), and prepares the run folder. Rank 0 writes; every rank checks.
    /// `importer` reads an `initFrom` that is not a ddtrain checkpoint (an export: Interop's ModelImport).
    public init(config: TrainingConfig, runDirectory: String, resume: Bool, initFrom: String? = nil,
                importer: ParameterImporter? = nil, comm: Communicator) throws {
        self.comm = comm
        self.runDirectory = runDirectory
        faults = FaultInjection.fromEnvironment()
        if comm.rank == 0, let warning = config.threadsWarning { Log.warn(warning) }
        guard FileIO.exists(config.data.directory + "/" + Manifest.fileName) else {
            throw DDError.file(config.data.directory, "holds no prepared dataset (no \(Manifest.fileName))",
                               fix: "run 'ddtrain prepare --config FILE' first or set data.dir")
        }
        // A rank maps only the shards it owns (shard % size): what it computes of other shards arrives through the
        // step exchange with its document starts, and it evaluates only its own shards' held-out sequences.
        let store = try DatasetStore(directory: config.data.directory, shards: { [size = comm.size, rank = comm.rank] in $0 % size == rank })
        self.store = store
        // The prepared data is the truth: stated data keys must match it, and the others are taken from it.
        let config = try DataAgreement.resolved(config, manifest: store.manifest)
        self.config = config
        Log.info(DataAgreement.summary(store.manifest, directory: config.data.directory))
        let tokenizer = store.manifest.tokenizer
        modelConfig = try config.modelConfig(vocabulary: tokenizer.vocabularySize)
        // The plan balances sequences over the data's shards, not over this job's ranks: it is then a pure function
        // of (config, manifest, seed, step) whatever the world size, so N ranks train on exactly the batches one
        // rank would, and a run resumed on another world size continues the same plan. When the job has one rank
        // per shard (the usual case: prepare and train with the same mpirun -np) every rank owns an equal share
        // of each step and nothing moves.
        let planner = try StepPlanner(config: config.curriculum, layouts: DataLayouts.counts(store.manifest),
                                      worldSize: store.manifest.shardCount)
        self.planner = planner
        totalSteps = config.run.maxSteps > 0 ? min(config.run.maxSteps, planner.totalSteps) : planner.totalSteps
        guard totalSteps > 0 else {
            throw DDError.config("curriculum.total_tokens", "the plan has no steps for this data",
                                 fix: "raise total_tokens or lower tokens_per_step")
        }
        partitioner = Partitioner(config.curriculum.balance)
        speeds = SpeedEstimator(ranks: comm.size, updateEvery: config.curriculum.balance.speedUpdateEvery)
        schedule = LearningRateSchedule(peak: config.optim.lr, floor: config.optim.minLR,
                                        warmupSteps: config.optim.warmupSteps, totalSteps: planner.totalSteps)
        let evalLayouts: [Int]
        switch config.eval.layouts {
        case .trained: evalLayouts = planner.activeLayouts
        case .buckets: evalLayouts = store.manifest.layouts.indices.filter { store.manifest.layouts[$0].kind.kindName == "bucket" }
        case .all: evalLayouts = Array(store.manifest.layouts.indices)
        }
        let maxSequence = (planner.activeLayouts + evalLayouts).map { store.manifest.layouts[$0].trainedLength }.max() ?? 1
        let stepTokens = config.curriculum.tokensPerStep
        let perRank = comm.size == 1 ? stepTokens : min(stepTokens, 2 * ((stepTokens + comm.size - 1) / comm.size) + maxSequence)
        // The rank's worker pool: train.threads threads pinned to the rank's cores (launch/run binds them).
        let pool = WorkerPool(threads: config.run.threads, pin: true)
        model = try Model(config: modelConfig, maxTokens: max(perRank, maxSequence) + maxSequence, seed: UInt64(config.run.seed),
                          pool: pool)
        let (precision, why) = try PrecisionChoice.resolve(config.run.precision, comm: comm)
        try model.setPrecision(precision)
        Log.info("precision \(precision.rawValue) (\(why)); CPU \(CPUFeatures.current.model), kernel level \(KernelDispatch.level.name)")
        let adam = AdamWConfig(beta1: Float(config.optim.beta1), beta2: Float(config.optim.beta2), eps: Float(config.optim.eps),
                               weightDecay: Float(config.optim.weightDecay),
                               excludeNormsAndEmbeddings: !config.optim.decayNormsAndEmbeddings)
        sync = GradientSync(comm: comm, gradients: model.grads.baseAddress!, count: model.layout.count,
                            bucketFloats: Int(config.run.gradBucketMB * 262_144), readyRanges: model.layout.backwardRanges,
                            zero1: config.run.zero1)
        optimizer = AdamWOptimizer(layout: model.layout, config: adam, shard: sync.shard)
        checkpoints = CheckpointStore(runDirectory: runDirectory, keep: config.run.keepCheckpoints)
        evaluator = Evaluator(config: config.eval, store: store, layouts: evalLayouts)
        try prepareRunDirectory(resume: resume)
        if config.curriculum.balance.calibrate {
            // Time forward+backward at the shortest and longest trained lengths on every rank; all ranks adopt
            // the mean fit, so they still compute the same partition (restored from checkpoints on resume).
            let lengths = Array(Set(planner.activeLayouts.map { store.manifest.layouts[$0].trainedLength })).sorted()
            let probe = [lengths.first!, lengths.last!].filter { $0 <= model.maxTokens }
            if probe.count == 2, probe[0] < probe[1] {
                partitioner.cost = try CostCalibration.agreed(model, comm: comm, lengths: probe, tokens: min(model.maxTokens, stepTokens), repeats: 2)
                Log.info("calibrated cost model: alpha \(scientific(partitioner.cost.alpha)) s/token, beta \(scientific(partitioner.cost.beta)) s/token²")
            }
        }
        if resume {
            try restore()
        } else if let initFrom {
            try initialize(from: initFrom, importer: importer)
        }
    }

    /// Rank 0 creates the folder and saves the resolved config; a folder with checkpoints needs --resume.
    /// An error on rank 0 here ends the job through the command's failure path while the others wait.
    private func prepareRunDirectory(resume: Bool) throws {
        if comm.rank == 0 {
            // Checked before anything is created, so a refused run leaves no folder behind.
            if !resume, try !checkpoints.list().isEmpty {
                throw DDError.file(runDirectory, "already holds checkpoints of a run", fix: "pass --resume to continue it, or choose another --out")
            }
            if resume, try checkpoints.list().isEmpty {
                throw DDError.file(runDirectory, "has no checkpoint to resume from", fix: "drop --resume (or use --resume=auto) to start the run")
            }
            try FileIO.makeDirectories(runDirectory)
            let probe = runDirectory + "/.write-test"
            try AtomicFile.write("ok", to: probe)
            unlink(probe)
            if !resume { try AtomicFile.write(config.json.pretty, to: runDirectory + "/config.json") }
        }
        try comm.barrier()
    }

    // MARK: the loop

    /// Runs every remaining step and the final evaluation; returns the summary (also written to summary.json).
    public func run() throws -> JSON {
        let metrics = comm.rank == 0 ? try MetricsLog(path: runDirectory + "/metrics.jsonl", resumeStep: startStep) : nil
        let progress = ProgressLine(totalSteps: totalSteps, every: config.run.logEvery)
        Log.info("training \(modelConfig.layers) layers × \(modelConfig.dim) (\(model.layout.count) parameters) on \(comm.size) rank(s): "
                 + "steps \(startStep)..<\(totalSteps), \(config.curriculum.tokensPerStep) tokens per step, run folder \(runDirectory)")
        let wallStart = monotonicSeconds()
        runStart = wallStart
        var lastEval: JSON = .null
        if startStep == 0, config.run.evalEvery > 0 {
            lastEval = try evaluate(step: 0)
            try metrics?.write(lastEval)
        }
        var lastLoss = Double.nan
        for step in startStep..<totalSteps {
            let record = try trainStep(step)
            lastLoss = record["loss"]?.doubleValue ?? .nan
            try metrics?.write(record)
            if comm.rank == 0 {
                progress.update(step: step, stepsDoneHere: step - startStep + 1, loss: lastLoss,
                                tokensPerSecond: record["tokens_per_s"]?.doubleValue ?? 0, lr: record["lr"]?.doubleValue ?? 0,
                                detail: ConsoleText.step(record, cycles: planner.cycles), label: label)
            }
            let next = step + 1
            let cycleEnds = planner.plan(step: step).cycle != (next < planner.totalSteps ? planner.plan(step: next).cycle : -1)
            if config.run.evalEvery > 0, next % config.run.evalEvery == 0, next < totalSteps {
                lastEval = try evaluate(step: next)
                try metrics?.write(lastEval)
                if comm.rank == 0 { progress.interrupt() }
                Log.info(ConsoleText.evaluation(lastEval))
            }
            let saved = next < totalSteps && (cycleEnds || (config.run.checkpointEvery > 0 && next % config.run.checkpointEvery == 0))
            if saved {
                try saveCheckpoint(nextStep: next, elapsed: elapsedBefore + monotonicSeconds() - wallStart)
            }
            if agreedStop != 0, next < totalSteps {
                if comm.rank == 0 { progress.interrupt() }
                try stopAfterInterruption(nextStep: next, alreadySaved: saved, elapsed: elapsedBefore + monotonicSeconds() - wallStart)
            }
        }
        if comm.rank == 0 { progress.interrupt() }
        lastEval = try evaluate(step: totalSteps)
        try metrics?.write(lastEval)
        Log.info(ConsoleText.evaluation(lastEval))
        let elapsed = elapsedBefore + monotonicSeconds() - wallStart
        try saveCheckpoint(nextStep: totalSteps, elapsed: elapsed)
        let summary = JSON.object([
            ("run", .string(runDirectory)), ("steps", .int(totalSteps)), ("ranks", .int(comm.size)), ("threads", .int(config.run.threads)),
            ("tokens", .int(tokensSeen)),
            ("wall_seconds", .number(elapsed)), ("tokens_per_s", .number(Double(tokensSeen) / max(elapsed, 1e-9))),
            ("final_train_loss", .number(lastLoss)), ("final_eval", lastEval),
            ("parameters", .int(model.layout.count)), ("precision", .string(model.precision.rawValue)),
        ] + KernelDispatch.reportFields)
        if comm.rank == 0 { try AtomicFile.write(summary.pretty, to: runDirectory + "/summary.json") }
        return summary
    }

    /// What one step's gradient computation produced, before the update.
    struct StepGradient {
        let plan: StepPlan
        let assignment: Assignment
        let lossSum: Double
        let tokenCount: Int
        /// Positions trained across all ranks (the step's tokens; below the plan's count for packed bins).
        let inputTokens: Int
        /// Model FLOPs of the step over all ranks (forward and backward).
        let flops: Double
        let exposedSeconds: Double
        let exchangeSeconds: Double
        let computeSeconds: Double
        /// The exit code the ranks agreed on because one of them was signalled (0: none was).
        let stopCode: Int32
    }

    /// Plans step `step`, exchanges its sequences, runs forward and backward on this rank's share and sums the
    /// gradients (and loss and token count) across ranks. With ZeRO-1 only this rank's shard is summed.
    func computeGradient(step: Int) throws -> StepGradient {
        let t0 = monotonicSeconds()
        let plan = planner.plan(step: step)
        let assignment = partitioner.assign(plan, speeds: speeds.speeds)
        // Each sequence travels with its document starts, so this rank reads only its own shards' files.
        let mine = try StepExchange.run(plan: plan, rankOf: assignment.rankOf, comm: comm) { ref in
            let s = try store.sequence(layout: ref.layout, shard: ref.shard, split: .train, index: ref.index)
            return SequencePayload(tokens: s.tokens, documentStarts: s.documentStarts)
        }
        let t1 = monotonicSeconds()
        let stored = mine.map { seq -> StoredSequence in
            // Packed bins hold at most L + 1 tokens, often fewer: their trained length is their own, not the layout's L.
            let fixed = store.manifest.layouts[seq.ref.layout].fixedLength
            return StoredSequence(tokens: seq.tokens, documentStarts: seq.documentStarts, trainedLength: fixed ? seq.ref.length : seq.tokens.count - 1)
        }
        let batch = BatchBuilder.build(stored, documentMasking: plan.documentMasking)
        faults.maybePoison(model.params, step: step)
        sync.begin()
        var localLoss = LossSum(sum: 0, count: 0)
        if batch.count > 0 {
            // ZeRO-1 reduce-scatters after backward; plain data parallelism overlaps the allreduce with backward.
            let hook: ((Range<Int>) -> Void)? = sync.overlapsBackward ? { [sync] r in sync.gradientsReady(r) } : nil
            localLoss = try model.forwardBackward(batch, zLoss: Float(config.optim.zLoss), onGradientsReady: hook)
        } else {
            // A rank with no sequences contributes zeros, and still joins every collective.
            Vector.zero(model.grads.baseAddress!, count: model.grads.count)
        }
        let computeSeconds = monotonicSeconds() - t1
        // Statistics summed over ranks with the gradients: loss sum, target tokens, input tokens, model FLOPs
        // (from the real attention segments, so document masking and packed bins are counted as computed).
        // The last two are this rank's interruption votes, so every rank learns of a signal at the same step.
        let votes = Interruption.votes
        let local = [localLoss.sum, Double(localLoss.count), Double(batch.count),
                     batch.count > 0 ? modelConfig.trainingFLOPs(segmentLengths: batch.segmentLengths) : 0, votes.0, votes.1]
        let (stats, exposed) = try sync.finish(statistics: local)
        return StepGradient(plan: plan, assignment: assignment, lossSum: stats[0], tokenCount: Int(stats[1].rounded()),
                            inputTokens: Int(stats[2].rounded()), flops: stats[3],
                            exposedSeconds: exposed, exchangeSeconds: t1 - t0, computeSeconds: computeSeconds,
                            stopCode: Interruption.agreed(interruptVotes: stats[4], terminateVotes: stats[5]))
    }

    /// One optimisation step; returns its metrics record (identical on every rank).
    func trainStep(_ step: Int) throws -> JSON {
        faults.maybeKill(rank: comm.rank, step: step)
        faults.maybeStall(rank: comm.rank, step: step)
        let t0 = monotonicSeconds()
        let g = try computeGradient(step: step)
        guard g.lossSum.isFinite else {
            let last = (try? checkpoints.list().first) ?? nil
            throw DDError("step \(step): the loss is \(g.lossSum) (not finite); the run stops here and the last good checkpoint "
                          + (last.map { "\($0) is intact" } ?? "(none yet)") + " (fix: lower optim.lr or enable optim.clip, then --resume)")
        }
        agreedStop = g.stopCode
        let lr = schedule.rate(at: step)
        let gradNorm = try applyUpdate(tokenCount: g.tokenCount, lr: lr)
        let stepSeconds = monotonicSeconds() - t0
        // Per-rank compute times: the measured imbalance, and the speed estimator's input.
        let times = try comm.allgather([g.computeSeconds])
        if speeds.record(costs: g.assignment.loads, seconds: times) {
            Log.info("updated rank speed factors: \(speeds.speeds.map { fixed($0, 3) }.joined(separator: " "))")
        }
        let meanTime = times.reduce(0, +) / Double(times.count)
        let globalTokens = g.inputTokens
        tokensSeen += globalTokens
        let flops = g.flops
        let layoutNames = g.plan.layouts.map { store.manifest.layouts[$0].name }
        return .obj([
            "type": .string("train"), "step": .int(step), "cycle": .int(g.plan.cycle), "layouts": .array(layoutNames.map { .string($0) }),
            "lengths": .ints(Set(g.plan.sequences.map(\.length)).sorted()),
            "mean_length": .number(Double(globalTokens) / Double(max(1, g.plan.sequences.count))),
            "sequences": .int(g.plan.sequences.count), "tokens": .int(globalTokens), "target_tokens": .int(g.tokenCount),
            "tokens_seen": .int(tokensSeen),
            "loss": .number(g.lossSum / Double(max(1, g.tokenCount))), "lr": .number(lr), "grad_norm": .number(gradNorm),
            "step_s": .number(stepSeconds), "tokens_per_s": .number(Double(globalTokens) / stepSeconds),
            "model_flops_per_s": .number(flops / stepSeconds),
            "predicted_imbalance": .number(g.assignment.imbalance),
            "measured_imbalance": .number(meanTime > 0 ? (times.max() ?? 0) / meanTime : 1),
            "moved_sequences": .int(g.assignment.moved), "exposed_comm_ms": .number(g.exposedSeconds * 1e3),
            "comm_ms": .number(sync.communicationSeconds * 1e3), "exchange_ms": .number(g.exchangeSeconds * 1e3),
            "elapsed_s": .number(elapsedBefore + monotonicSeconds() - runStart),
        ])
    }

    /// Gradient of the mean loss, global-norm clipping and the AdamW update; returns the norm before clipping.
    private func applyUpdate(tokenCount: Int, lr: Double) throws -> Double {
        let scale = 1 / Float(max(1, tokenCount))
        guard sync.shards != nil else {
            Vector.scale(model.grads.baseAddress!, count: model.grads.count, by: scale, pool: model.pool)
            let norm = clipGradients(model.grads, maxNorm: config.optim.clip, pool: model.pool)
            try optimizer.step(params: model.params, grads: model.grads, lr: Float(lr), pool: model.pool)
            return norm
        }
        // ZeRO-1: this rank scales, clips and updates only its shard, then the shards are gathered.
        let shard = optimizer.shard
        let g = model.grads.baseAddress! + shard.lowerBound
        Vector.scale(g, count: shard.count, by: scale, pool: model.pool)
        let norm = try sync.globalSumOfSquares(Vector.sumOfSquares(g, count: shard.count, pool: model.pool)).squareRoot()
        if config.optim.clip > 0, norm > config.optim.clip {
            Vector.scale(g, count: shard.count, by: Float(config.optim.clip / norm), pool: model.pool)
        }
        try optimizer.step(params: model.params, grads: model.grads, lr: Float(lr), pool: model.pool)
        // Every rank's updated shard, gathered in place into the full parameter buffer (the shard is copied out first).
        let mine = Array(model.params[shard])
        try mine.withUnsafeBufferPointer { try sync.allgatherShards($0, into: model.params.baseAddress!) }
        return norm
    }

    /// Evaluates on the held-out split and returns the metrics record.
    func evaluate(step: Int) throws -> JSON {
        let result = try evaluator.run(model: model, comm: comm, documentMasking: config.curriculum.documentMasking)
        return result.setting("type", to: .string("eval")).setting("step", to: .int(step)).setting("tokens_seen", to: .int(tokensSeen))
            .setting("elapsed_s", to: .number(elapsedBefore + monotonicSeconds() - runStart))
    }
}

extension TrainingSession {
    /// The gradient of the mean loss over all target tokens of global step `step` (summed across ranks and
    /// divided by the global token count), without updating anything: what N ranks must agree on with 1 rank.
    public func gradientProbe(step: Int) throws -> (gradient: [Float], loss: Double, tokens: Int) {
        precondition(sync.shards == nil, "the probe reads the full gradient; run it without ZeRO-1")
        let g = try computeGradient(step: step)
        let scale = 1 / Float(max(1, g.tokenCount))
        return (model.grads.map { $0 * scale }, g.lossSum / Double(max(1, g.tokenCount)), g.tokenCount)
    }
}

extension TrainingSession {
    /// Throughput of `steps` training steps from the current position, without evaluation or checkpoints:
    /// the figures of `ddtrain bench train`. The first `warmup` steps are run but not timed. Besides wall-clock
    /// rates it reports rates per CPU-second of the busiest rank (process CPU time, the communication thread
    /// included) and per core-second (that CPU time over the rank's `train.threads`): on a shared machine that is
    /// what the job would reach with its cores to itself. `resident_bytes` is the ranks' peak resident memory
    /// (VmHWM) at the end of the timed steps, summed over ranks.
    ///
    /// After its backward, a rank waits in the gradient sync for the buckets still in flight and for the slower
    /// ranks. The rank that waits least is the one that finished backward last: its wait is the communication no
    /// compute hid (`exposed_comm_share`, an upper bound, as the slowest rank can change from step to step); what
    /// the ranks wait beyond it on average is load imbalance (`imbalance_wait_share`).
    public func benchmark(steps: Int, warmup: Int) throws -> JSON {
        var tokens = 0, seconds = 0.0, exposed = 0.0, comm = 0.0
        var cpuStart = 0.0
        for step in startStep..<min(totalSteps, startStep + warmup + steps) {
            if step == startStep + warmup { cpuStart = processCPUSeconds() }
            let record = try trainStep(step)
            guard step >= startStep + warmup else { continue }
            tokens += record["tokens"]?.intValue ?? 0
            seconds += record["step_s"]?.doubleValue ?? 0
            exposed += (record["exposed_comm_ms"]?.doubleValue ?? 0) / 1e3
            comm += (record["comm_ms"]?.doubleValue ?? 0) / 1e3
        }
        let cpu = try self.comm.allreduce(processCPUSeconds() - cpuStart, op: .max)
        let leastWait = try self.comm.allreduce(exposed, op: .min)
        let meanWait = try self.comm.allreduce(exposed, op: .sum) / Double(self.comm.size)
        let resident = try self.comm.allreduce(Double(peakResidentBytes()), op: .sum)
        let threads = config.run.threads
        return .obj(["ranks": .int(self.comm.size), "threads_per_rank": .int(threads), "steps": .int(steps), "tokens": .int(tokens),
                     "seconds": .number(seconds), "tokens_per_s": .number(Double(tokens) / max(seconds, 1e-9)),
                     "busiest_rank_cpu_s": .number(cpu), "tokens_per_cpu_s": .number(Double(tokens) / max(cpu, 1e-9)),
                     "tokens_per_core_s": .number(Double(tokens * threads) / max(cpu, 1e-9)), "resident_bytes": .number(resident),
                     "exposed_comm_share": .number(leastWait / max(seconds, 1e-9)),
                     "imbalance_wait_share": .number((meanWait - leastWait) / max(seconds, 1e-9)),
                     "comm_s": .number(comm), "compute_s": .number(seconds - meanWait), "parameters": .int(model.layout.count)])
    }
}
