import Kernels
import Support

/// AdamW hyper-parameters (learning rate is given per step by the schedule).
public struct AdamWConfig: Equatable, Sendable {
    public var beta1: Float = 0.9
    public var beta2: Float = 0.95
    public var eps: Float = 1e-8
    public var weightDecay: Float = 0
    /// When true (the usual choice) norms and embeddings (TensorInfo.decays == false) are not decayed.
    public var excludeNormsAndEmbeddings: Bool = true

    /// A configuration; defaults are the paper's reference run (β 0.9/0.95, ε 1e-8).
    public init(beta1: Float = 0.9, beta2: Float = 0.95, eps: Float = 1e-8, weightDecay: Float = 0,
                excludeNormsAndEmbeddings: Bool = true) {
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps
        self.weightDecay = weightDecay; self.excludeNormsAndEmbeddings = excludeNormsAndEmbeddings
    }
}

/// AdamW over the flat parameter buffer: owns m and v for its shard and the update count.
///
/// Without a shard it holds moments for the whole buffer. With ZeRO-1 each rank makes one for its shard
/// (Trainer's `GradientSync.shard`): m and v then exist only for that range (memory drops by the world size),
/// and `step` updates only inside it. `step` may cover any sub-range of the shard; m and v outside the ranges a step
/// updates stay untouched.
public final class AdamWOptimizer {
    public let layout: ParameterLayout
    public var config: AdamWConfig
    /// The range of the flat buffer whose moments this optimizer holds and updates (all of it by default).
    public let shard: Range<Int>
    /// First and second moments of `shard` (element i is parameter shard.lowerBound + i); for checkpoints, save and
    /// restore them as they are.
    public let m: UnsafeMutableBufferPointer<Float>
    public let v: UnsafeMutableBufferPointer<Float>
    /// Updates done so far (bias correction uses stepCount + 1 for the next one); restore it from checkpoints.
    public var stepCount: Int = 0

    /// Zeroed moments for `shard` of `layout` (the whole buffer when nil).
    public init(layout: ParameterLayout, config: AdamWConfig, shard: Range<Int>? = nil) {
        self.layout = layout
        self.config = config
        let shard = shard ?? 0..<layout.count
        precondition(shard.lowerBound >= 0 && shard.upperBound <= layout.count, "AdamWOptimizer: shard \(shard) outside 0..<\(layout.count)")
        self.shard = shard
        m = .allocate(capacity: max(1, shard.count))
        v = .allocate(capacity: max(1, shard.count))
        m.initialize(repeating: 0)
        v.initialize(repeating: 0)
    }

    deinit { m.deallocate(); v.deallocate() }

    /// One optimizer step over `range` of the flat buffers (the whole shard by default); counts as one update.
    /// `gradScale` multiplies the gradients on the fly (e.g. 1/token count).
    public func step(params: UnsafeMutableBufferPointer<Float>, grads: UnsafeMutableBufferPointer<Float>, lr: Float,
                     range: Range<Int>? = nil, gradScale: Float = 1, pool: WorkerPool = .serial) throws {
        try step(params: params, grads: grads, lr: lr, ranges: [range ?? shard], gradScale: gradScale, pool: pool)
    }

    /// One optimizer step over several disjoint ranges at once (still one update for bias correction). Each
    /// tensor's piece is split over `pool` in multiples of 16 elements (every element updates on its own).
    public func step(params: UnsafeMutableBufferPointer<Float>, grads: UnsafeMutableBufferPointer<Float>, lr: Float,
                     ranges: [Range<Int>], gradScale: Float = 1, pool: WorkerPool = .serial) throws {
        guard params.count == layout.count, grads.count == layout.count else {
            throw DDError("AdamWOptimizer: buffers of \(params.count)/\(grads.count) floats, layout has \(layout.count) (fix: pass the model's params and grads)")
        }
        for r in ranges where r.lowerBound < shard.lowerBound || r.upperBound > shard.upperBound {
            throw DDError("AdamWOptimizer: range \(r) is outside its shard \(shard) (fix: pass ranges inside the optimizer's shard)")
        }
        let step = stepCount + 1
        for r in ranges {
            // Split the range at tensor boundaries so each piece gets its tensor's decay.
            for t in layout.tensors {
                let lo = max(r.lowerBound, t.offset), hi = min(r.upperBound, t.offset + t.count)
                guard lo < hi else { continue }
                let decay = (t.decays || !config.excludeNormsAndEmbeddings) ? config.weightDecay : 0
                var failure: Error?
                pool.ranges(count: hi - lo, align: 16) { piece in
                    let at = lo + piece.lowerBound, local = at - shard.lowerBound
                    do {
                        try AdamW.update(params: params.baseAddress! + at, grads: grads.baseAddress! + at,
                                         m: m.baseAddress! + local, v: v.baseAddress! + local, count: piece.count, lr: lr,
                                         beta1: config.beta1, beta2: config.beta2, eps: config.eps, weightDecay: decay,
                                         step: step, gradScale: gradScale)
                    } catch { failure = error }
                }
                if let failure { throw failure }
            }
        }
        stepCount = step
    }
}

/// Scales `grads` so their global L2 norm is at most `maxNorm` (no change when already below); returns the norm
/// before clipping. With data parallelism call it on the summed, averaged gradient so every rank agrees.
@discardableResult
public func clipGradients(_ grads: UnsafeMutableBufferPointer<Float>, maxNorm: Double, pool: WorkerPool = .serial) -> Double {
    let norm = Vector.sumOfSquares(grads.baseAddress!, count: grads.count, pool: pool).squareRoot()
    if maxNorm > 0, norm > maxNorm, norm.isFinite {
        Vector.scale(grads.baseAddress!, count: grads.count, by: Float(maxNorm / (norm + 1e-6)), pool: pool)
    }
    return norm
}
