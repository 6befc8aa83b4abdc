import Comm
import Kernels
import Curriculum
import Support
import Transformer

/// Saving and restoring everything a run needs to continue exactly: parameters, AdamW moments and step count,
/// the next step (the plan is a pure function of it), tokens seen, elapsed time, rank speed factors, the
/// config's identity hash and the world size.
extension TrainingSession {
    static let checkpointFormat = 1

    /// Writes the checkpoint taken before `nextStep` (rank 0 writes; ZeRO-1 shards are gathered first).
    func saveCheckpoint(nextStep: Int, elapsed: Double) throws {
        let n = model.layout.count
        var m: [Float] = [], v: [Float] = []
        let stepCount = optimizer.stepCount
        if sync.shards != nil {
            m = try gatherShards(optimizer.m)
            v = try gatherShards(optimizer.v)
        } else if comm.rank == 0 {
            m = Array(optimizer.m); v = Array(optimizer.v)
        }
        if comm.rank == 0 {
            let header = JSON.obj([
                "format": .int(Self.checkpointFormat), "next_step": .int(nextStep), "world_size": .int(comm.size),
                "config_hash": .string(config.identityHash), "model": modelConfig.toJSON(), "parameters": .int(n),
                "tokens_seen": .int(tokensSeen), "elapsed_s": .number(elapsed), "optimizer_steps": .int(stepCount),
                "speeds": .doubles(speeds.speeds), "cost_alpha": .number(partitioner.cost.alpha), "cost_beta": .number(partitioner.cost.beta), "seed": .int(config.run.seed), "zero1": .bool(config.run.zero1),
                "precision": .string(model.precision.rawValue),
                "tensors": .array(model.layout.tensors.map { .obj(["name": .string($0.name), "offset": .int($0.offset), "shape": .ints($0.shape)]) }),
            ])
            try m.withUnsafeBufferPointer { mb in
                try v.withUnsafeBufferPointer { vb in
                    try checkpoints.save(step: nextStep, header: header, sections: [
                        .init(name: "params", data: UnsafeBufferPointer(model.params)),
                        .init(name: "adam_m", data: mb), .init(name: "adam_v", data: vb),
                    ], beforeRename: { faults.insideCheckpointWriter(step: nextStep) })
                }
            }
        }
        try comm.barrier()
    }

    /// Every rank's shard of a ZeRO-1 moment buffer, concatenated (complete on every rank).
    private func gatherShards(_ part: UnsafeMutableBufferPointer<Float>) throws -> [Float] {
        var full = [Float](repeating: 0, count: model.layout.count)
        let mine = UnsafeBufferPointer(rebasing: part[0..<optimizer.shard.count])
        try full.withUnsafeMutableBufferPointer { try sync.allgatherShards(mine, into: $0.baseAddress!) }
        return full
    }

    /// Loads the newest checkpoint that verifies (falling back past damaged ones) into the model and optimizer.
    func restore() throws {
        guard let (path, ckpt) = try checkpoints.loadLatest() else {
            throw DDError.file(runDirectory, "has no checkpoint to resume from", fix: "drop --resume to start the run")
        }
        let h = ckpt.header
        guard h["config_hash"]?.stringValue == config.identityHash else {
            throw DDError.file(path, "was written with a different data, model, curriculum or optimizer config",
                               fix: "resume with the run's own config (\(runDirectory)/config.json) or start a new --out folder")
        }
        try checkShape(h, path: path)
        guard let params = ckpt.sections["params"], params.count == model.layout.count,
              let m = ckpt.sections["adam_m"], let v = ckpt.sections["adam_v"], m.count == params.count, v.count == params.count,
              let next = h["next_step"]?.intValue, let steps = h["optimizer_steps"]?.intValue else {
            throw DDError.file(path, "lacks the parameter or optimizer sections this model needs", fix: "use another checkpoint")
        }
        _ = params.withUnsafeBufferPointer { model.params.update(fromContentsOf: $0) }
        try adoptSavedPrecision(h, path: path)
        // This rank's part of the moments (all of them, or its ZeRO-1 shard).
        _ = optimizer.m.update(fromContentsOf: m[optimizer.shard])
        _ = optimizer.v.update(fromContentsOf: v[optimizer.shard])
        optimizer.stepCount = steps
        startStep = next
        tokensSeen = h["tokens_seen"]?.intValue ?? 0
        elapsedBefore = h["elapsed_s"]?.doubleValue ?? 0
        let savedWorld = h["world_size"]?.intValue ?? comm.size
        if savedWorld == comm.size, let s = h["speeds"]?.arrayValue?.compactMap(\.doubleValue), s.count == comm.size {
            speeds.restore(speeds: s)
        } else if savedWorld != comm.size {
            Log.info("resuming a \(savedWorld)-rank run on \(comm.size) ranks: the shards are re-split (shard s goes to rank s % \(comm.size)) "
                     + "and the partitioner re-balances every step; the plan itself does not depend on the world size, so the run "
                     + "continues the same batches (rank speed factors start afresh)")
        }
        if let a = h["cost_alpha"]?.doubleValue, let b = h["cost_beta"]?.doubleValue {
            partitioner.cost = CostModel(alpha: a, beta: b)
        }
        Log.info("resumed from \(path) at step \(next)")
    }

    /// Throws when a checkpoint's model differs from the configured one.
    func checkShape(_ h: JSON, path: String) throws {
        let saved = h["model"] ?? .null
        guard saved == modelConfig.toJSON() else {
            throw DDError.file(path, "holds a model of another shape (\(saved.compact)) than the config's (\(modelConfig.toJSON().compact))",
                               fix: "use the config the checkpoint was trained with")
        }
    }

    /// Starts from the parameters of a ddtrain checkpoint file, or of whatever `importer` reads (an export folder /
    /// .safetensors file, shape-checked against the config by Interop's ModelImport); optimizer state is not taken.
    func initialize(from path: String, importer: ParameterImporter?) throws {
        if let importer, let params = try importer(path, modelConfig) {
            guard params.count == model.layout.count else {
                throw DDError.file(path, "holds \(params.count) parameters, not the \(model.layout.count) of the config's model",
                                   fix: "use an export of this model")
            }
            _ = params.withUnsafeBufferPointer { model.params.update(fromContentsOf: $0) }
            Log.info("initialised the model from the export \(path)")
            return
        }
        let ckpt = try CheckpointFile.read(path: path)
        try checkShape(ckpt.header, path: path)
        guard let params = ckpt.sections["params"], params.count == model.layout.count else {
            throw DDError.file(path, "has no parameter section of \(model.layout.count) floats", fix: "use a checkpoint of this model")
        }
        _ = params.withUnsafeBufferPointer { model.params.update(fromContentsOf: $0) }
        Log.info("initialised the model from \(path)")
    }

    /// With train.precision auto, a resumed run keeps the precision it was saved with (so it continues exactly),
    /// as long as this CPU runs it; the ranks agree because they all read the same checkpoint.
    private func adoptSavedPrecision(_ header: JSON, path: String) throws {
        guard config.run.precision == .auto, let name = header["precision"]?.stringValue,
              let saved = Precision(rawValue: name), saved != model.precision else { return }
        if saved == .bf16 && KernelDispatch.gemmBF16 == nil {
            Log.warn("\(path) was trained in bf16 but this CPU has no bf16 kernel: continuing in fp32 (the loss trace will differ)")
            return
        }
        try model.setPrecision(saved)
        Log.info("precision \(saved.rawValue), as the checkpoint was trained (train.precision auto)")
    }
}
