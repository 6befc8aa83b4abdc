import CMPI
import Support
#if canImport(Glibc)
import Glibc
#endif

/// The Open MPI backend over MPI_COMM_WORLD.
///
/// Thread level: MPI_THREAD_SERIALIZED. The trainer has one communication thread that issues the gradient
/// allreduces while backward runs; the main thread issues its own collectives only while that thread is idle,
/// so calls never overlap and SERIALIZED is enough (cheaper than MULTIPLE in Open MPI's shared-memory path).
/// With the stall watchdog on, its thread probes a private communicator concurrently: MULTIPLE is asked for then.
///
/// Counts above Int32.max elements are split into chunks (allreduce, broadcast) or sent as point-to-point
/// chunks (allgather(v), alltoallv), never truncated. `chunkBytes` (environment DDTRAIN_COMM_CHUNK_BYTES, for
/// tests) lowers the split point.
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    public var backendName: String { "mpi" }
    /// Largest byte count sent in one MPI call.
    public let chunkBytes: Int
    private var finalized = false
    /// The stall watchdog, when one was asked for (see Watchdog.swift).
    public private(set) var watchdog: Watchdog?

    /// Initialises MPI (once per process) with MPI_THREAD_SERIALIZED and errors returned, not fatal.
    /// A positive `watchdogSeconds` (or DDTRAIN_WATCHDOG_S, which overrides it) starts the stall watchdog, whose
    /// thread needs MPI_THREAD_MULTIPLE; the level is then asked for instead.
    public init(watchdogSeconds: Double = 0) throws {
        let watchdogTimeout = try Watchdog.requestedTimeout(configured: watchdogSeconds)
        let level = watchdogTimeout > 0 ? ddt_thread_multiple() : ddt_thread_serialized()
        var provided: Int32 = 0
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        if initialized == 0 {
            ddt_tune_malloc()
            // A rank's communication thread shares its core with the compute thread; Open MPI's progress loop
            // busy-polls, so make it yield the core while it waits (unless the user chose otherwise).
            setenv("OMPI_MCA_mpi_yield_when_idle", "1", 0)
            let rc = MPI_Init_thread(nil, nil, level, &provided)
            guard rc == ddt_success() else { throw DDError("MPI_Init_thread failed with code \(rc) (check the Open MPI installation and mpirun)") }
            guard provided >= level else {
                throw DDError("MPI provides thread level \(provided), below the \(level) asked for (use an Open MPI built with thread support"
                              + (watchdogTimeout > 0 ? ", or turn the stall watchdog off)" : ")"))
            }
        }
        MPI_Comm_set_errhandler(ddt_comm_world(), ddt_errors_return())
        var r: Int32 = 0, s: Int32 = 0
        MPI_Comm_rank(ddt_comm_world(), &r)
        MPI_Comm_size(ddt_comm_world(), &s)
        rank = Int(r)
        size = Int(s)
        let env = getenv("DDTRAIN_COMM_CHUNK_BYTES").flatMap { Int(String(cString: $0)) }
        chunkBytes = max(8, min(env ?? Int(Int32.max), Int(Int32.max)))
        if watchdogTimeout > 0 { watchdog = try Watchdog(timeout: watchdogTimeout, rank: rank, size: size) }
    }

    /// Runs one collective between the watchdog's begin and end marks.
    private func tracked<T>(_ op: Watchdog.Operation, _ body: () throws -> T) rethrows -> T {
        guard let watchdog else { return try body() }
        watchdog.begin(op)
        defer { watchdog.end() }
        return try body()
    }

    /// The MPI library's version string (MPI_Get_library_version).
    public static func libraryVersion() -> String {
        var buf = [CChar](repeating: 0, count: Int(ddt_max_library_version_string()) + 1)
        var len: Int32 = 0
        MPI_Get_library_version(&buf, &len)
        return String(cString: buf).split(separator: "\n").first.map(String.init) ?? ""
    }

    private func check(_ rc: Int32, _ what: String) throws {
        guard rc != ddt_success() else { return }
        var buf = [CChar](repeating: 0, count: Int(ddt_max_error_string()) + 1)
        var len: Int32 = 0
        MPI_Error_string(rc, &buf, &len)
        throw DDError("rank \(rank): \(what) failed: \(String(cString: buf)) (a peer may have died; see its message)")
    }

    private static func datatype(_ e: CommElement) -> (MPI_Datatype, Int) {
        switch e {
        case .float: return (ddt_type_float(), 4)
        case .double: return (ddt_type_double(), 8)
        case .int32: return (ddt_type_int32(), 4)
        case .int64: return (ddt_type_int64(), 8)
        case .byte: return (ddt_type_byte(), 1)
        }
    }

    private static func mpiOp(_ op: ReduceOp) -> MPI_Op {
        switch op { case .sum: return ddt_op_sum(); case .max: return ddt_op_max(); case .min: return ddt_op_min() }
    }

    public func barrier() throws { try tracked(.barrier) { try check(MPI_Barrier(ddt_comm_world()), "MPI_Barrier") } }

    public func allreduce(_ buffer: UnsafeMutableRawPointer, count: Int, element: CommElement, op: ReduceOp) throws {
        try tracked(.allreduce) { try allreduceChunks(buffer, count: count, element: element, op: op) }
    }

    /// Non-blocking allreduce per chunk, completed by MPI_Test with 20 µs sleeps between polls while `stillComputing()`
    /// (Open MPI's blocking wait busy-polls, which on a shared core would take cycles from the backward pass it
    /// overlaps) and without sleeps after it: progress only happens inside MPI calls, and a sleep (at least the
    /// 50 µs of Linux's default timer slack) per fragment of a large message would stretch the step's last buckets.
    /// Those polls yield, so on an oversubscribed core a slower rank still computing gets the core first.
    public func allreduceWhileComputing(_ buffer: UnsafeMutableRawPointer, count: Int, element: CommElement, op: ReduceOp,
                                        stillComputing: () -> Bool) throws {
        try tracked(.allreduce) {
            let (type, width) = Self.datatype(element)
            let perCall = max(1, chunkBytes / width)
            var done = 0
            while done < count {
                let n = min(perCall, count - done)
                var request: MPI_Request? = nil
                try check(MPI_Iallreduce(ddt_in_place(), buffer + done * width, Int32(n), type, Self.mpiOp(op), ddt_comm_world(), &request),
                          "MPI_Iallreduce")
                var flag: Int32 = 0
                var pause = timespec(tv_sec: 0, tv_nsec: 20_000)
                while true {
                    try check(MPI_Test(&request, &flag, ddt_status_ignore()), "MPI_Test")
                    if flag != 0 { break }
                    if stillComputing() { nanosleep(&pause, nil) } else { sched_yield() }
                }
                done += n
            }
        }
    }

    private func allreduceChunks(_ buffer: UnsafeMutableRawPointer, count: Int, element: CommElement, op: ReduceOp) throws {
        let (type, width) = Self.datatype(element)
        let perCall = max(1, chunkBytes / width)
        var done = 0
        while done < count {
            let n = min(perCall, count - done)
            try check(MPI_Allreduce(ddt_in_place(), buffer + done * width, Int32(n), type, Self.mpiOp(op), ddt_comm_world()),
                      "MPI_Allreduce")
            done += n
        }
    }

    public func reduceScatter(_ buffer: UnsafeMutableRawPointer, counts: [Int], element: CommElement) throws {
        try tracked(.reduceScatter) { try reduceScatterBlocks(buffer, counts: counts, element: element) }
    }

    private func reduceScatterBlocks(_ buffer: UnsafeMutableRawPointer, counts: [Int], element: CommElement) throws {
        let (type, width) = Self.datatype(element)
        let total = counts.reduce(0, +)
        if total * width <= chunkBytes {
            // MPI writes rank r's block to the start of the receive buffer: receive into a scratch block, then
            // put it back at its offset in the flat buffer.
            let offset = counts[..<rank].reduce(0, +)
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(1, counts[rank] * width), alignment: 64)
            defer { scratch.deallocate() }
            try check(MPI_Reduce_scatter(buffer, scratch, counts.map { Int32($0) }, type, ddt_op_sum(), ddt_comm_world()),
                      "MPI_Reduce_scatter")
            if counts[rank] > 0 { memcpy(buffer + offset * width, scratch, counts[rank] * width) }
            return
        }
        // Too large for one call: the allreduce path chunks it (every block ends up summed; we keep ours).
        try allreduce(buffer, count: total, element: element, op: .sum)
    }

    public func broadcast(_ buffer: UnsafeMutableRawPointer, byteCount: Int, root: Int) throws {
        try tracked(.broadcast) { try broadcastChunks(buffer, byteCount: byteCount, root: root) }
    }

    private func broadcastChunks(_ buffer: UnsafeMutableRawPointer, byteCount: Int, root: Int) throws {
        var done = 0
        while done < byteCount {
            let n = min(chunkBytes, byteCount - done)
            try check(MPI_Bcast(buffer + done, Int32(n), ddt_type_byte(), Int32(root), ddt_comm_world()), "MPI_Bcast")
            done += n
        }
    }

    public func allgather(_ input: UnsafeRawPointer, byteCount: Int, output: UnsafeMutableRawPointer) throws {
        try tracked(.allgather) { try allgatherBlocks(input, byteCount: byteCount, output: output) }
    }

    private func allgatherBlocks(_ input: UnsafeRawPointer, byteCount: Int, output: UnsafeMutableRawPointer) throws {
        if byteCount * size <= chunkBytes {
            try check(MPI_Allgather(input, Int32(byteCount), ddt_type_byte(), output, Int32(byteCount), ddt_type_byte(), ddt_comm_world()),
                      "MPI_Allgather")
            return
        }
        try allgatherv(input, byteCount: byteCount, output: output,
                       counts: Array(repeating: byteCount, count: size), displacements: (0..<size).map { $0 * byteCount })
    }

    public func allgatherv(_ input: UnsafeRawPointer, byteCount: Int, output: UnsafeMutableRawPointer,
                           counts: [Int], displacements: [Int]) throws {
        try tracked(.allgatherv) { try allgathervBlocks(input, byteCount: byteCount, output: output, counts: counts, displacements: displacements) }
    }

    private func allgathervBlocks(_ input: UnsafeRawPointer, byteCount: Int, output: UnsafeMutableRawPointer,
                                  counts: [Int], displacements: [Int]) throws {
        if fitsInOneCall(counts, displacements) {
            try check(MPI_Allgatherv(input, Int32(byteCount), ddt_type_byte(), output, counts.map { Int32($0) },
                                     displacements.map { Int32($0) }, ddt_type_byte(), ddt_comm_world()), "MPI_Allgatherv")
            return
        }
        let sends = (0..<size).map { _ in (input, byteCount) }
        let recvs = (0..<size).map { r in (output + displacements[r], counts[r]) }
        try pointToPoint(sends: sends, receives: recvs)
    }

    public func alltoallv(send: UnsafeRawPointer, sendCounts: [Int], sendDisplacements: [Int],
                          receive: UnsafeMutableRawPointer, receiveCounts: [Int], receiveDisplacements: [Int]) throws {
        try tracked(.alltoallv) {
            try alltoallvBlocks(send: send, sendCounts: sendCounts, sendDisplacements: sendDisplacements,
                                receive: receive, receiveCounts: receiveCounts, receiveDisplacements: receiveDisplacements)
        }
    }

    private func alltoallvBlocks(send: UnsafeRawPointer, sendCounts: [Int], sendDisplacements: [Int],
                                 receive: UnsafeMutableRawPointer, receiveCounts: [Int], receiveDisplacements: [Int]) throws {
        if fitsInOneCall(sendCounts, sendDisplacements), fitsInOneCall(receiveCounts, receiveDisplacements) {
            try check(MPI_Alltoallv(send, sendCounts.map { Int32($0) }, sendDisplacements.map { Int32($0) }, ddt_type_byte(),
                                    receive, receiveCounts.map { Int32($0) }, receiveDisplacements.map { Int32($0) }, ddt_type_byte(),
                                    ddt_comm_world()), "MPI_Alltoallv")
            return
        }
        let sends = (0..<size).map { r in (send + sendDisplacements[r], sendCounts[r]) }
        let recvs = (0..<size).map { r in (receive + receiveDisplacements[r], receiveCounts[r]) }
        try pointToPoint(sends: sends, receives: recvs)
    }

    private func fitsInOneCall(_ counts: [Int], _ displacements: [Int]) -> Bool {
        zip(counts, displacements).allSatisfy { $0 <= chunkBytes && $0 + $1 <= chunkBytes }
    }

    /// Moves arbitrary byte counts: each pair exchanges its payload in chunks of at most `chunkBytes`, all
    /// posted non-blocking (chunk index as the tag) and completed together.
    private func pointToPoint(sends: [(UnsafeRawPointer, Int)], receives: [(UnsafeMutableRawPointer, Int)]) throws {
        var requests: [MPI_Request?] = []
        for (src, (ptr, count)) in receives.enumerated() {
            var off = 0, chunk: Int32 = 0
            while off < count {
                let n = min(chunkBytes, count - off)
                var req: MPI_Request? = nil
                try check(MPI_Irecv(ptr + off, Int32(n), ddt_type_byte(), Int32(src), chunk, ddt_comm_world(), &req), "MPI_Irecv")
                requests.append(req)
                off += n; chunk += 1
            }
        }
        for (dst, (ptr, count)) in sends.enumerated() {
            var off = 0, chunk: Int32 = 0
            while off < count {
                let n = min(chunkBytes, count - off)
                var req: MPI_Request? = nil
                try check(MPI_Isend(UnsafeMutableRawPointer(mutating: ptr + off), Int32(n), ddt_type_byte(), Int32(dst), chunk,
                                    ddt_comm_world(), &req), "MPI_Isend")
                requests.append(req)
                off += n; chunk += 1
            }
        }
        if requests.isEmpty { return }
        try check(MPI_Waitall(Int32(requests.count), &requests, ddt_statuses_ignore()), "MPI_Waitall")
    }

    public func abort(_ message: String, code: Int32) -> Never {
        FileHandleStderr.write("ddtrain: rank \(rank): \(message)\n")
        MPI_Abort(ddt_comm_world(), code == 0 ? 1 : code)
        exit(code == 0 ? 1 : code)
    }

    public func finalize() {
        guard !finalized else { return }
        finalized = true
        watchdog?.stop()
        MPI_Finalize()
    }
}
