import CKernels
import Support
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A rank's own worker threads (pthreads): `threads − 1` workers plus the thread that submits work, which takes
/// part as worker 0. Created once per rank; every kernel whose work grows with tokens splits its work items over it.
///
/// Results never depend on the thread count: an item is always computed the same way whichever worker runs it,
/// and callers reduce per-item partials in item order (see docs/training.md). Workers run with the kernel level
/// in force on the submitting thread (`KernelDispatch.withLevel` is thread-local). One thread submits at a time;
/// a kernel called from inside a work item runs serially on that worker (no nesting). Between jobs the workers
/// poll, then yield, then sleep, so OpenBLAS's threads (called between jobs, never during one) get the cores.
public final class WorkerPool: @unchecked Sendable {
    /// Threads that run a job, the submitting thread included (≥ 1).
    public let threads: Int
    /// The CPUs the threads are pinned to (worker i on cores[i]); empty when not pinned.
    public let cores: [Int]
    /// The one-thread pool: every job runs inline on the caller.
    public static let serial = WorkerPool(threads: 1)

    private let generation = Atomic<Int>(0)
    private let pending = Atomic<Int>(0)
    private let nextItem = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private var mutex = pthread_mutex_t()
    private var wake = pthread_cond_t()
    private var job: ((Int) -> Void)?
    private var level: Int32 = -1
    private var busy = false
    private var stopping = false
    private var handles: [pthread_t] = []

    /// Where the submitting thread's time went, summed over the pool's parallel jobs since creation or the last
    /// `resetTimes()`: wall seconds inside jobs, and the part of them spent waiting for other workers to finish
    /// their last items (load imbalance and late wake-ups). Time outside jobs is serial work.
    public struct Times: Sendable {
        public var jobs = 0
        public var inJobsSeconds = 0.0
        public var tailWaitSeconds = 0.0
    }
    /// The submitting thread's accumulated job times (see `Times`).
    public private(set) var times = Times()
    /// Zeroes `times`.
    public func resetTimes() { times = Times() }

    /// How long an idle worker polls for the next job before it starts yielding, and how long it yields before it
    /// sleeps. Jobs within a step come microseconds to a few hundred microseconds apart; waking a sleeping worker
    /// costs 0.1–0.5 ms on a VM (the vCPU has halted), which measured 1–2 % of a bf16 step at T = 2 with a budget
    /// of a few microseconds. Yielding keeps the core available to any other runnable thread (OpenBLAS's).
    static let spinSeconds = 0.000_2
    static let yieldSeconds = 0.002

    /// Starts `threads − 1` workers. With `pin`, worker i (the creating thread is worker 0) is pinned to the i-th
    /// CPU of the process's affinity mask when the mask holds at least `threads` CPUs (as `launch/run` binds it).
    public init(threads: Int, pin: Bool = false) {
        self.threads = max(1, threads)
        let cpus = Self.allowedCPUs()
        cores = pin && self.threads > 1 && cpus.count >= self.threads ? Array(cpus.prefix(self.threads)) : []
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&wake, nil)
        if let first = cores.first { _ = dd_pin_thread(Int32(first)) }
        for w in 1..<self.threads { handles.append(start(worker: w)) }
    }

    /// The CPUs this process may run on (its affinity mask, ascending): the cores mpirun bound the rank to.
    public static func allowedCPUs() -> [Int] {
        var cpus = [Int32](repeating: 0, count: 1024)
        let n = Int(dd_affinity_cpus(&cpus, 1024))
        return cpus.prefix(n).map(Int.init)
    }

    deinit {
        stopping = true
        generation.add(1, ordering: .sequentiallyConsistent)
        pthread_mutex_lock(&mutex); pthread_cond_broadcast(&wake); pthread_mutex_unlock(&mutex)
        for h in handles { pthread_join(h, nil) }
        pthread_mutex_destroy(&mutex)
        pthread_cond_destroy(&wake)
    }

    /// Runs `body(item, worker)` for every item in 0..<items, spread over the threads (an item goes to whichever
    /// worker is free next); returns when all are done. `worker` (0..<threads) indexes per-worker scratch.
    public func run(items: Int, _ body: (_ item: Int, _ worker: Int) -> Void) {
        if threads == 1 || items <= 1 || busy {
            for i in 0..<items { body(i, 0) }
            return
        }
        withoutActuallyEscaping(body) { body in
            nextItem.store(0, ordering: .relaxed)
            let task: (Int) -> Void = { [unowned self] worker in
                while true {
                    let i = nextItem.wrappingAdd(1, ordering: .relaxed).oldValue
                    if i >= items { return }
                    body(i, worker)
                }
            }
            let t0 = monotonicSeconds()
            job = task
            level = dd_level_override()
            busy = true
            pending.store(threads - 1, ordering: .relaxed)
            generation.add(1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(&mutex); pthread_cond_broadcast(&wake); pthread_mutex_unlock(&mutex)
            }
            task(0)
            let t1 = monotonicSeconds()
            var spins = 0
            while pending.load(ordering: .acquiring) > 0 {
                spins += 1
                if spins > 256 { sched_yield() }
            }
            busy = false
            job = nil
            let t2 = monotonicSeconds()
            times.jobs += 1
            times.inJobsSeconds += t2 - t0
            times.tailWaitSeconds += t2 - t1
        }
    }

    /// Splits 0..<count into contiguous ranges whose bounds are multiples of `align` (except the last end), about
    /// four per thread handed out as workers come free (so a late or slower worker costs a quarter of its share,
    /// not half the job), and runs `body` on each. Only for work whose per-element result does not depend on the
    /// split.
    public func ranges(count: Int, align: Int = 1, _ body: (Range<Int>) -> Void) {
        let pieces = 4 * threads
        let chunk = ((count + pieces - 1) / pieces + align - 1) / align * align
        if threads == 1 || chunk >= count {
            if count > 0 { body(0..<count) }
            return
        }
        run(items: (count + chunk - 1) / chunk) { i, _ in body(i * chunk..<min(count, (i + 1) * chunk)) }
    }

    private func start(worker: Int) -> pthread_t {
        let context = Unmanaged.passRetained(WorkerStart(pool: self, worker: worker)).toOpaque()
        var handle = pthread_t()
        let rc = pthread_create(&handle, nil, { raw in
            let start = Unmanaged<WorkerStart>.fromOpaque(raw!).takeRetainedValue()
            start.pool.loop(worker: start.worker)
            return nil
        }, context)
        precondition(rc == 0, "WorkerPool: pthread_create failed (\(rc))")
        return handle
    }

    /// A worker: waits for the next generation (spinning, then yielding, then sleeping), runs the job, reports.
    private func loop(worker: Int) {
        if worker < cores.count { _ = dd_pin_thread(Int32(cores[worker])) }
        var seen = 0
        while true {
            var spins = 0
            let idleSince = monotonicSeconds()
            while generation.load(ordering: .acquiring) == seen {
                spins += 1
                if spins & 255 != 0 { continue }
                let idle = monotonicSeconds() - idleSince
                if idle < Self.spinSeconds { continue }
                if idle < Self.spinSeconds + Self.yieldSeconds { sched_yield(); continue }
                sleepers.add(1, ordering: .sequentiallyConsistent)
                pthread_mutex_lock(&mutex)
                while generation.load(ordering: .sequentiallyConsistent) == seen { pthread_cond_wait(&wake, &mutex) }
                pthread_mutex_unlock(&mutex)
                sleepers.subtract(1, ordering: .sequentiallyConsistent)
            }
            seen = generation.load(ordering: .acquiring)
            if stopping { return }
            dd_set_level_override(level)
            job!(worker)
            pending.subtract(1, ordering: .releasing)
        }
    }
}

/// What a new worker thread needs: its pool (unretained by the thread's loop, which the pool's deinit ends) and index.
private final class WorkerStart {
    unowned(unsafe) let pool: WorkerPool
    let worker: Int
    init(pool: WorkerPool, worker: Int) { self.pool = pool; self.worker = worker }
}
