import Kernels
import Support
import Transformer

/// ZeRO-1: AdamW whose moments exist only for this rank's shard of the flat buffer.
///
/// Shard r is the r-th of `size` near-equal contiguous blocks. After a reduce-scatter leaves the summed
/// gradient of its shard in place, a rank updates only its shard (with each tensor's decay), then an allgather
/// of the parameter shards gives every rank the full updated parameters. Memory for m and v drops by `size`.
public final class ShardedAdamW {
    public let layout: ParameterLayout
    public let config: AdamWConfig
    /// Float counts of every rank's shard, in rank order.
    public let shardCounts: [Int]
    /// This rank's shard of the flat buffer.
    public let shard: Range<Int>
    public let m: UnsafeMutableBufferPointer<Float>
    public let v: UnsafeMutableBufferPointer<Float>
    public var stepCount = 0

    public init(layout: ParameterLayout, config: AdamWConfig, rank: Int, size: Int) {
        self.layout = layout
        self.config = config
        shardCounts = (0..<size).map { layout.count / size + ($0 < layout.count % size ? 1 : 0) }
        let start = shardCounts[..<rank].reduce(0, +)
        shard = start..<(start + shardCounts[rank])
        m = .allocate(capacity: max(1, shard.count))
        v = .allocate(capacity: max(1, shard.count))
        m.initialize(repeating: 0)
        v.initialize(repeating: 0)
    }

    deinit { m.deallocate(); v.deallocate() }

    /// Updates this rank's shard of `params` from the summed gradient in `grads` (only the shard is read).
    public func step(params: UnsafeMutablePointer<Float>, grads: UnsafeMutablePointer<Float>, lr: Float, gradScale: Float) throws {
        let step = stepCount + 1
        for t in layout.tensors {
            let lo = max(shard.lowerBound, t.offset), hi = min(shard.upperBound, t.offset + t.count)
            guard lo < hi else { continue }
            let decay = (t.decays || !config.excludeNormsAndEmbeddings) ? config.weightDecay : 0
            let local = lo - shard.lowerBound
            try AdamW.update(params: params + lo, grads: grads + lo, m: m.baseAddress! + local, v: v.baseAddress! + local,
                             count: hi - lo, lr: lr, beta1: config.beta1, beta2: config.beta2, eps: config.eps,
                             weightDecay: decay, step: step, gradScale: gradScale)
        }
        stepCount = step
    }
}
