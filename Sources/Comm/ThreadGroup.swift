import Support
#if canImport(Glibc)
import Glibc
#endif

/// N ranks inside one process, one thread each: the in-process backend that tests use to check multi-rank
/// logic (gradient equality, exchanges) without mpirun.
///
/// `ThreadGroup.run(size:) { comm in ... }` starts `size` threads, gives each its communicator and returns each
/// rank's result in rank order. Collectives meet at a shared barrier; each rank publishes its buffer pointers,
/// peers read them, and a second barrier keeps them valid until everyone has read.
public final class ThreadGroup {
    private let size: Int
    private var mutex = pthread_mutex_t()
    private var cond = pthread_cond_t()
    private var arrived = 0
    private var generation = 0
    fileprivate var slots: [Slot]

    fileprivate struct Slot {
        var input: UnsafeRawPointer? = nil
        var output: UnsafeMutableRawPointer? = nil
        var counts: [Int] = []
        var displacements: [Int] = []
    }

    private init(size: Int) {
        self.size = size
        slots = Array(repeating: Slot(), count: size)
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&cond, nil)
    }

    deinit {
        pthread_mutex_destroy(&mutex)
        pthread_cond_destroy(&cond)
    }

    /// Runs `body` on `size` threads, one per rank, and returns their results in rank order.
    public static func run<R>(size: Int, _ body: @escaping (Communicator) throws -> R) throws -> [R] {
        let group = ThreadGroup(size: size)
        let results = Box<[Result<R, Error>?]>(Array(repeating: nil, count: size))
        var threads: [pthread_t] = []
        for r in 0..<size {
            let comm = ThreadCommunicator(group: group, rank: r)
            let task = Box<() -> Void>({
                let outcome = Result { try body(comm) }
                group.lock(); results.value[r] = outcome; group.unlock()
            })
            var tid = pthread_t()
            let ctx = Unmanaged.passRetained(task).toOpaque()
            var attr = pthread_attr_t()
            pthread_attr_init(&attr)
            pthread_attr_setstacksize(&attr, 16 << 20)
            let rc = pthread_create(&tid, &attr, { raw in
                let t = Unmanaged<Box<() -> Void>>.fromOpaque(raw!).takeRetainedValue()
                t.value()
                return nil
            }, ctx)
            pthread_attr_destroy(&attr)
            precondition(rc == 0, "pthread_create failed")
            threads.append(tid)
        }
        for t in threads { pthread_join(t, nil) }
        return try results.value.map { try $0!.get() }
    }

    fileprivate func lock() { pthread_mutex_lock(&mutex) }
    fileprivate func unlock() { pthread_mutex_unlock(&mutex) }

    /// A reusable barrier over all ranks of the group.
    fileprivate func barrier() {
        lock()
        let gen = generation
        arrived += 1
        if arrived == size {
            arrived = 0
            generation += 1
            pthread_cond_broadcast(&cond)
        } else {
            while gen == generation { pthread_cond_wait(&cond, &mutex) }
        }
        unlock()
    }

    fileprivate func publish(_ rank: Int, _ slot: Slot) {
        lock(); slots[rank] = slot; unlock()
    }

    fileprivate func slot(_ rank: Int) -> Slot {
        lock(); defer { unlock() }
        return slots[rank]
    }
}

/// A reference box so closures can share mutable state across threads.
final class Box<T> {
    var value: T
    init(_ v: T) { value = v }
}

/// One rank of a `ThreadGroup`.
final class ThreadCommunicator: Communicator {
    private let group: ThreadGroup
    let rank: Int
    var size: Int { group.slots.count }
    var backendName: String { "threads" }

    init(group: ThreadGroup, rank: Int) {
        self.group = group
        self.rank = rank
    }

    func barrier() throws { group.barrier() }

    func allreduce(_ buffer: UnsafeMutableRawPointer, count: Int, element: CommElement, op: ReduceOp) throws {
        group.publish(rank, .init(input: UnsafeRawPointer(buffer)))
        group.barrier()
        let inputs = (0..<size).map { group.slot($0).input! }
        let result: [UInt8]
        switch element {
        case .float: result = reduce(inputs, count, Float.self, op)
        case .double: result = reduce(inputs, count, Double.self, op)
        case .int32: result = reduce(inputs, count, Int32.self, op)
        case .int64: result = reduce(inputs, count, Int64.self, op)
        case .byte: result = reduce(inputs, count, UInt8.self, op)
        }
        group.barrier()
        result.withUnsafeBytes { if $0.count > 0 { memcpy(buffer, $0.baseAddress!, $0.count) } }
        group.barrier()
    }

    /// Reduces in rank order, so results are deterministic (the same order MPI uses for 2 ranks).
    private func reduce<T: Comparable & AdditiveArithmetic>(_ inputs: [UnsafeRawPointer], _ count: Int, _: T.Type, _ op: ReduceOp) -> [UInt8] {
        var acc = [T](UnsafeBufferPointer(start: inputs[0].assumingMemoryBound(to: T.self), count: count))
        for r in 1..<inputs.count {
            let p = inputs[r].assumingMemoryBound(to: T.self)
            for i in 0..<count {
                switch op {
                case .sum: acc[i] = acc[i] + p[i]
                case .max: acc[i] = Swift.max(acc[i], p[i])
                case .min: acc[i] = Swift.min(acc[i], p[i])
                }
            }
        }
        return acc.withUnsafeBytes { Array($0) }
    }

    func reduceScatter(_ buffer: UnsafeMutableRawPointer, counts: [Int], element: CommElement) throws {
        // Reduces everything, then this rank keeps only its block: the same result as MPI for the block it owns.
        let total = counts.reduce(0, +)
        try allreduce(buffer, count: total, element: element, op: .sum)
    }

    func broadcast(_ buffer: UnsafeMutableRawPointer, byteCount: Int, root: Int) throws {
        group.publish(rank, .init(input: UnsafeRawPointer(buffer)))
        group.barrier()
        if rank != root, byteCount > 0 { memcpy(buffer, group.slot(root).input!, byteCount) }
        group.barrier()
    }

    func allgather(_ input: UnsafeRawPointer, byteCount: Int, output: UnsafeMutableRawPointer) throws {
        try allgatherv(input, byteCount: byteCount, output: output,
                       counts: Array(repeating: byteCount, count: size), displacements: (0..<size).map { $0 * byteCount })
    }

    func allgatherv(_ input: UnsafeRawPointer, byteCount: Int, output: UnsafeMutableRawPointer,
                    counts: [Int], displacements: [Int]) throws {
        group.publish(rank, .init(input: input))
        group.barrier()
        for r in 0..<size where counts[r] > 0 { memcpy(output + displacements[r], group.slot(r).input!, counts[r]) }
        group.barrier()
    }

    func alltoallv(send: UnsafeRawPointer, sendCounts: [Int], sendDisplacements: [Int],
                   receive: UnsafeMutableRawPointer, receiveCounts: [Int], receiveDisplacements: [Int]) throws {
        group.publish(rank, .init(input: send, counts: sendCounts, displacements: sendDisplacements))
        group.barrier()
        for src in 0..<size {
            let s = group.slot(src)
            let n = s.counts[rank]
            guard n == receiveCounts[src] else {
                fatalError("alltoallv: rank \(rank) expects \(receiveCounts[src]) bytes from \(src), which sends \(n)")
            }
            if n > 0 { memcpy(receive + receiveDisplacements[src], s.input! + s.displacements[rank], n) }
        }
        group.barrier()
    }

    func abort(_ message: String, code: Int32) -> Never {
        fatalError("rank \(rank) aborted: \(message)")
    }
}
