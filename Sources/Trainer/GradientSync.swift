import Comm
import Support
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Sums the flat gradient buffer across ranks in buckets that start while backward is still running.
///
/// Backward reports finished ranges of the flat buffer (highest offsets first). The buffer is cut into buckets
/// along the ranges backward reports (`readyRanges`), each range from the top down into pieces of at most
/// `bucketFloats` — the same cut on every rank, so the collectives match even on a rank with no sequences, which
/// reports nothing and sends all buckets at `finish`. A bucket is handed to a dedicated communication thread as
/// soon as backward has passed it, so no bucket waits for a later range; that thread issues allreduces in place
/// — the scheme of the large data-parallel trainers. The lowest `holdBackFloats` of the buffer are held
/// back and reduced at `finish` together with the step's loss sum and token count, so those statistics ride
/// in the same reduction (encoded as hi/lo Float pairs: about 48 bits, exact for counts far beyond 2^24).
///
/// MPI runs at MPI_THREAD_SERIALIZED: only the communication thread calls MPI between `begin` and `finish`,
/// and the main thread calls MPI only after `finish` has drained the queue.
///
/// With ZeRO-1 (`zero1`) the buffer is split into one contiguous shard per rank (`shards`): `finish` reduce-scatters
/// the gradients after backward so each rank holds the sum of its own shard, `globalSumOfSquares` gives the clipping
/// norm, and `allgatherShards` puts the updated parameter shards (or the optimizer moments, for checkpoints) back
/// together on every rank. All of ZeRO-1's collectives are here; the optimizer only updates its shard.
public final class GradientSync {
    private let comm: Communicator
    private let gradients: UnsafeMutablePointer<Float>
    private let count: Int
    private let bucketFloats: Int
    private let holdBackFloats: Int
    /// Buckets as (offset, count), highest offsets first; `nextBucket` is the first not yet sent this step.
    private let buckets: [(Int, Int)]
    private var nextBucket = 0
    private let staging: UnsafeMutablePointer<Float>
    /// Most statistics `finish` carries.
    public static let maxStatistics = 8

    private var mutex = pthread_mutex_t()
    private var cond = pthread_cond_t()
    private var queue: [(Int, Int)] = []
    private var inFlight = 0
    private var failure: Error?
    private var stopping = false
    private var thread: pthread_t?
    /// Set when backward is done (`finish`): the communication thread then polls without pauses.
    private let backwardDone = Atomic<Bool>(false)

    /// Seconds the communication thread spent inside allreduce during the last step.
    public private(set) var communicationSeconds = 0.0

    /// ZeRO-1's split of the buffer over the ranks, in rank order (nil: plain data parallelism, every rank gets the
    /// full sum).
    public let shards: [Range<Int>]?
    /// The part of the buffer this rank updates: its ZeRO-1 shard, or all of it.
    public var shard: Range<Int> { shards?[comm.rank] ?? 0..<count }

    /// ZeRO-1's split of `count` floats over `size` ranks: near-equal contiguous blocks in rank order.
    public static func shards(count: Int, size: Int) -> [Range<Int>] {
        var start = 0
        return (0..<size).map { r in
            let n = count / size + (r < count % size ? 1 : 0)
            defer { start += n }
            return start..<(start + n)
        }
    }

    /// Prepares the sync of `count` floats at `gradients` (ZeRO-1 shards with `zero1`); starts the communication
    /// thread when there are peers. `readyRanges` are the ranges backward reports, in its order (highest offsets
    /// first, tiling the buffer; the model's `layout.backwardRanges`); nil: the whole buffer is one range.
    public init(comm: Communicator, gradients: UnsafeMutablePointer<Float>, count: Int, bucketFloats: Int,
                readyRanges: [Range<Int>]? = nil, zero1: Bool = false) {
        self.comm = comm
        self.gradients = gradients
        self.count = count
        shards = zero1 ? Self.shards(count: count, size: comm.size) : nil
        self.bucketFloats = max(1024, bucketFloats)
        self.holdBackFloats = min(count, 16_384)
        staging = .allocate(capacity: holdBackFloats + 2 * Self.maxStatistics)
        let ranges = readyRanges ?? [0..<count]
        precondition(ranges.first?.upperBound == count && ranges.last?.lowerBound == 0, "ready ranges must cover the buffer")
        buckets = Self.buckets(ranges: ranges, above: holdBackFloats, most: self.bucketFloats)
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&cond, nil)
        if comm.size > 1 { startThread() }
    }

    /// Each range's part above `floor` cut from the top down into buckets of at most `most` floats, as (offset, count),
    /// highest offsets first.
    static func buckets(ranges: [Range<Int>], above floor: Int, most: Int) -> [(Int, Int)] {
        precondition(zip(ranges, ranges.dropFirst()).allSatisfy { $0.lowerBound == $1.upperBound }, "ready ranges must tile downwards")
        var cut: [(Int, Int)] = []
        for r in ranges {
            var hi = r.upperBound
            while hi > max(r.lowerBound, floor) {
                let lo = max(r.lowerBound, floor, hi - most)
                cut.append((lo, hi - lo))
                hi = lo
            }
        }
        return cut
    }

    deinit {
        if let t = thread {
            pthread_mutex_lock(&mutex); stopping = true; pthread_cond_broadcast(&cond); pthread_mutex_unlock(&mutex)
            pthread_join(t, nil)
        }
        staging.deallocate()
        pthread_mutex_destroy(&mutex)
        pthread_cond_destroy(&cond)
    }

    /// Resets the per-step state; call before backward.
    public func begin() {
        backwardDone.store(false, ordering: .relaxed)
        nextBucket = 0
        communicationSeconds = 0
    }

    /// Whether backward should report finished ranges (`gradientsReady`): plain data parallelism overlaps its
    /// allreduce with backward; ZeRO-1 reduce-scatters once backward is done.
    public var overlapsBackward: Bool { shards == nil }

    /// Backward's hook: everything from `range.lowerBound` up is final. Sends every bucket backward has passed.
    public func gradientsReady(_ range: Range<Int>) {
        guard comm.size > 1 else { return }
        send(downTo: range.lowerBound)
    }

    private func send(downTo low: Int) {
        while nextBucket < buckets.count, buckets[nextBucket].0 >= low {
            enqueue(buckets[nextBucket].0, buckets[nextBucket].1)
            nextBucket += 1
        }
    }

    /// Reduces what is left together with the step's statistics (loss sum, token counts, FLOPs: any Doubles,
    /// at most `maxStatistics`), waits for every bucket, and returns the statistics summed over ranks and the
    /// seconds the main thread waited (exposed communication).
    /// With ZeRO-1: one reduce-scatter of the gradients (each rank then holds the sum of its shard) and the
    /// statistics in a small allreduce.
    public func finish(statistics: [Double]) throws -> (statistics: [Double], exposedSeconds: Double) {
        precondition(statistics.count <= Self.maxStatistics)
        if let shards {
            let t = monotonicSeconds()
            try comm.reduceScatter(UnsafeMutableRawPointer(gradients), counts: shards.map(\.count), element: .float)
            var stats = statistics
            try comm.allreduce(&stats, op: .sum)
            return (stats, monotonicSeconds() - t)
        }
        guard comm.size > 1 else { return (statistics, 0) }
        let t0 = monotonicSeconds()
        backwardDone.store(true, ordering: .relaxed)
        send(downTo: 0)
        try drain()
        // The held-back low end of the buffer and the statistics travel in one final allreduce.
        memcpy(staging, gradients, holdBackFloats * 4)
        for (i, x) in statistics.enumerated() { Self.encode(x, into: staging + holdBackFloats + 2 * i) }
        let tc = monotonicSeconds()
        try comm.allreduce(UnsafeMutableRawPointer(staging), count: holdBackFloats + 2 * statistics.count, element: .float, op: .sum)
        communicationSeconds += monotonicSeconds() - tc
        memcpy(gradients, staging, holdBackFloats * 4)
        let summed = statistics.indices.map { Self.decode(staging + holdBackFloats + 2 * $0) }
        return (summed, monotonicSeconds() - t0)
    }

    /// ZeRO-1: the sum over ranks of each rank's sum of squares of its shard (the squared global gradient norm).
    public func globalSumOfSquares(_ local: Double) throws -> Double {
        var squares = [local]
        try comm.allreduce(&squares, op: .sum)
        return squares[0]
    }

    /// ZeRO-1: every rank's shard gathered into the full-length buffer `full` (complete on every rank); `part` is this
    /// rank's shard (`shard.count` floats). MPI forbids overlapping send and receive buffers: `part` must not lie in `full`.
    public func allgatherShards(_ part: UnsafeBufferPointer<Float>, into full: UnsafeMutablePointer<Float>) throws {
        let shards = self.shards ?? [0..<count]
        precondition(part.count == shard.count, "allgatherShards: \(part.count) floats for a shard of \(shard.count)")
        try comm.allgatherv(UnsafeRawPointer(part.baseAddress ?? UnsafePointer(full)), byteCount: part.count * 4,
                            output: UnsafeMutableRawPointer(full), counts: shards.map { $0.count * 4 },
                            displacements: shards.map { $0.lowerBound * 4 })
    }

    /// Splits a Double into two Floats whose sum restores it to about 48 bits.
    static func encode(_ x: Double, into p: UnsafeMutablePointer<Float>) {
        let hi = Float(x)
        p[0] = hi
        p[1] = Float(x - Double(hi))
    }

    static func decode(_ p: UnsafeMutablePointer<Float>) -> Double { Double(p[0]) + Double(p[1]) }

    // MARK: communication thread

    private func enqueue(_ offset: Int, _ n: Int) {
        pthread_mutex_lock(&mutex)
        queue.append((offset, n))
        inFlight += 1
        pthread_cond_broadcast(&cond)
        pthread_mutex_unlock(&mutex)
    }

    private func drain() throws {
        pthread_mutex_lock(&mutex)
        while inFlight > 0 && failure == nil { pthread_cond_wait(&cond, &mutex) }
        let f = failure
        pthread_mutex_unlock(&mutex)
        if let f { throw f }
    }

    private func startThread() {
        let ctx = Unmanaged.passUnretained(self).toOpaque()
        var t = pthread_t()
        let rc = pthread_create(&t, nil, { raw in
            Unmanaged<GradientSync>.fromOpaque(raw!).takeUnretainedValue().serve()
            return nil
        }, ctx)
        precondition(rc == 0, "cannot start the communication thread")
        thread = t
    }

    private func serve() {
        while true {
            pthread_mutex_lock(&mutex)
            while queue.isEmpty && !stopping { pthread_cond_wait(&cond, &mutex) }
            if stopping && queue.isEmpty { pthread_mutex_unlock(&mutex); return }
            let (offset, n) = queue.removeFirst()
            pthread_mutex_unlock(&mutex)
            let t0 = monotonicSeconds()
            var err: Error? = nil
            do {
                try comm.allreduceWhileComputing(UnsafeMutableRawPointer(gradients + offset), count: n, element: .float,
                                                 op: .sum) { !self.backwardDone.load(ordering: .relaxed) }
            } catch { err = error }
            let dt = monotonicSeconds() - t0
            pthread_mutex_lock(&mutex)
            communicationSeconds += dt
            if let err, failure == nil { failure = err }
            inFlight -= 1
            pthread_cond_broadcast(&cond)
            pthread_mutex_unlock(&mutex)
        }
    }
}
