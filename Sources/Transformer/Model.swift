import Kernels
import Support

/// The summed loss over targeted tokens and how many tokens had a target.
public struct LossSum: Equatable, Sendable {
    public var sum: Double
    public var count: Int
    public init(sum: Double, count: Int) { self.sum = sum; self.count = count }
    /// Mean loss per targeted token (0 when nothing was targeted).
    public var mean: Double { count > 0 ? sum / Double(count) : 0 }
}

/// A decoder-only transformer over packed batches: one flat parameter buffer, a same-layout gradient buffer and
/// an activation arena sized once for `maxTokens`, so forward and backward never allocate.
public final class Model {
    public let config: ModelConfig
    public let layout: ParameterLayout
    /// Largest batch (in tokens) the arena holds.
    public let maxTokens: Int
    /// Parameters, laid out as `layout` says.
    public let params: UnsafeMutableBufferPointer<Float>
    /// Gradient of the summed loss, same layout; overwritten by `forwardBackward`.
    public let grads: UnsafeMutableBufferPointer<Float>
    var arena: ActivationArena
    /// The current batch's ids, targets and positions, copied in so kernels get stable pointers.
    let ids: UnsafeMutableBufferPointer<Int32>
    let targetIds: UnsafeMutableBufferPointer<Int32>
    let positions: UnsafeMutableBufferPointer<Int32>
    var segmentStarts: [Int]
    /// Offsets of every tensor, resolved once.
    let offsets: Offsets
    /// cos/sin of every position below maxTokens (longer positions fall back to computing the angles).
    let ropeTable: RoPETable
    /// The arithmetic of the matrix products (`setPrecision`).
    public internal(set) var precision: Precision = .fp32
    /// Every Linear weight's place and shape, and in bf16 mode its packed copy.
    var linears: LinearWeights
    /// bf16 mode: the kernel and the weight-gradient products' packing scratch.
    var bf16Kernel: BF16Kernel = .avx512
    var bf16Scratch: UnsafeMutableBufferPointer<UInt16>?
    /// The rank's worker pool: every kernel of forward and backward splits its work over it.
    public let pool: WorkerPool

    /// Builds the model with seeded parameters: normal(0, init_std) matrices and embedding, residual output projections
    /// (wo, w_down / w_proj) scaled by 1/sqrt(2·layers) as in GPT-2, norm gains 1. The kernels run on `pool`
    /// (attention's per-worker workspaces are sized for its threads); results do not depend on its size.
    public init(config: ModelConfig, maxTokens: Int, seed: UInt64, pool: WorkerPool = .serial) throws {
        try config.validate()
        guard maxTokens >= 1 else {
            throw DDError("Model: maxTokens \(maxTokens) must be at least 1 (fix: pass the largest step's token count)")
        }
        self.config = config
        self.maxTokens = maxTokens
        self.pool = pool
        layout = ParameterLayout(config: config)
        offsets = Offsets(layout: layout, config: config)
        linears = LinearWeights(offsets: offsets, config: config)
        params = .allocate(capacity: layout.count)
        grads = .allocate(capacity: layout.count)
        grads.initialize(repeating: 0)
        ids = .allocate(capacity: maxTokens)
        targetIds = .allocate(capacity: maxTokens)
        positions = .allocate(capacity: maxTokens)
        ids.initialize(repeating: 0); targetIds.initialize(repeating: -1); positions.initialize(repeating: 0)
        segmentStarts = [0]
        segmentStarts.reserveCapacity(maxTokens + 1)
        arena = ActivationArena(config: config, maxTokens: maxTokens, workers: pool.threads)
        ropeTable = RoPETable(headDim: config.headDim, base: Float(config.ropeBase), maxPositions: maxTokens)
        initialize(seed: seed)
    }

    deinit {
        params.deallocate(); grads.deallocate(); ids.deallocate(); targetIds.deallocate(); positions.deallocate()
        arena.release()
        bf16Scratch?.deallocate()
    }

    /// Refills the parameters from `seed` (the same seed always gives the same model).
    public func initialize(seed: UInt64) {
        var rng = Xoshiro256(seed: seed)
        let residualScale = 1 / (2 * Double(config.layers)).squareRoot()
        for t in layout.tensors {
            let p = params.baseAddress! + t.offset
            if t.shape.count == 1 {
                p.update(repeating: 1, count: t.count)
                continue
            }
            let isResidualOutput = t.name.hasSuffix(".wo") || t.name.hasSuffix(".w_down") || t.name.hasSuffix(".w_proj")
            let std = config.initStd * (isResidualOutput ? residualScale : 1)
            for i in 0..<t.count { p[i] = Float(rng.nextGaussian() * std) }
        }
    }

    /// Bytes held by parameters, gradients and the activation arena.
    public var allocatedBytes: Int {
        let bf16 = linears.all.reduce(0) { $0 + ($1.bf16?.elementCount ?? 0) } + (bf16Scratch?.count ?? 0)
        return 4 * (2 * layout.count + arena.floatCount) + 12 * maxTokens + 2 * bf16
    }

    /// Forward and backward over `batch`: `grads` is overwritten with the gradient of the summed loss (plus
    /// zLoss·logsumexp² per targeted token). `onGradientsReady` receives contiguous ranges of the flat buffer as soon
    /// as they are final — `layout.backwardRanges`: final norm and lm_head, then each layer's MLP block and attention
    /// block from layer L−1 down to 0, then the embedding — covering it exactly once.
    public func forwardBackward(_ batch: PackedBatch, zLoss: Float = 0,
                                onGradientsReady: ((Range<Int>) -> Void)? = nil) throws -> LossSum {
        try load(batch)
        let T = batch.count
        Vector.zero(grads.baseAddress!, count: grads.count, pool: pool)
        guard T > 0 else {
            // An empty share still reports every range, so collectives stay in step across ranks.
            for r in layout.backwardRanges { onGradientsReady?(r) }
            return LossSum(sum: 0, count: 0)
        }
        try forward(tokens: T)
        let loss = try headForwardBackward(tokens: T, zLoss: zLoss)
        onGradientsReady?(layout.head)
        for l in stride(from: config.layers - 1, through: 0, by: -1) {
            try layerBackward(l, tokens: T, onGradientsReady: onGradientsReady)
        }
        try Embedding.backward(ids: ids.baseAddress!, dout: arena.dRes, dtable: grads.baseAddress! + layout.embedding.lowerBound,
                               tokens: T, vocab: config.vocab, width: config.dim, pool: pool)
        onGradientsReady?(layout.embedding)
        return loss
    }

    /// The summed loss of `batch` (forward only).
    public func loss(_ batch: PackedBatch, zLoss: Float = 0) throws -> LossSum {
        try load(batch)
        guard batch.count > 0 else { return LossSum(sum: 0, count: 0) }
        try forward(tokens: batch.count)
        var total = LossSum(sum: 0, count: 0)
        try forEachHeadChunk(tokens: batch.count) { start, n in
            let r = try CrossEntropy.forward(logits: arena.logits, targets: targetIds.baseAddress! + start, tokens: n,
                                             vocab: config.vocab, zLoss: zLoss, lossPerToken: nil)
            total.sum += r.sum
            total.count += r.count
        }
        return total
    }

    /// Per-token cross-entropy (no z-loss) of `batch`, 0 where a token has no target.
    public func tokenLosses(_ batch: PackedBatch) throws -> [Float] {
        try load(batch)
        var out = [Float](repeating: 0, count: batch.count)
        guard batch.count > 0 else { return out }
        try forward(tokens: batch.count)
        try out.withUnsafeMutableBufferPointer { o in
            try forEachHeadChunk(tokens: batch.count) { start, n in
                _ = try CrossEntropy.forward(logits: arena.logits, targets: targetIds.baseAddress! + start, tokens: n,
                                             vocab: config.vocab, zLoss: 0, lossPerToken: o.baseAddress! + start)
            }
        }
        return out
    }

    /// The logits of `batch`, [T, V] row-major.
    public func logits(_ batch: PackedBatch) throws -> [Float] {
        try load(batch)
        let V = config.vocab
        var out = [Float](repeating: 0, count: batch.count * V)
        guard batch.count > 0 else { return out }
        try forward(tokens: batch.count)
        out.withUnsafeMutableBufferPointer { o in
            forEachHeadChunk(tokens: batch.count) { start, n in
                Vector.copy(from: arena.logits, to: o.baseAddress! + start * V, count: n * V)
            }
        }
        return out
    }

    /// Copies the batch into the model's id buffers after checking it (and, in bf16 mode, packs the weights).
    func load(_ batch: PackedBatch) throws {
        try batch.validate(vocab: config.vocab, maxTokens: maxTokens)
        packWeights()
        let T = batch.count
        for t in 0..<T {
            ids[t] = batch.tokens[t]
            targetIds[t] = batch.targets[t]
            positions[t] = batch.positions[t]
        }
        segmentStarts.removeAll(keepingCapacity: true)
        segmentStarts.append(contentsOf: batch.segmentStarts)
    }
}
