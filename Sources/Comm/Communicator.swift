/// Reduction operators of `allreduce`.
public enum ReduceOp: Sendable { case sum, max, min }

/// Element types the collectives reduce and move.
public enum CommElement: Sendable { case float, double, int32, int64, byte }

/// A value type the typed collectives accept.
public protocol CommScalar { static var commElement: CommElement { get } }
extension Float: CommScalar { public static var commElement: CommElement { .float } }
extension Double: CommScalar { public static var commElement: CommElement { .double } }
extension Int32: CommScalar { public static var commElement: CommElement { .int32 } }
extension Int64: CommScalar { public static var commElement: CommElement { .int64 } }
extension UInt8: CommScalar { public static var commElement: CommElement { .byte } }

/// A group of ranks and the collectives the trainer needs.
///
/// Every rank must issue the same collectives in the same order (method.md §7); a rank with nothing to
/// contribute passes zeros or empty buffers. Errors from the transport are thrown as `DDError`.
/// Buffers are raw so that the flat parameter and gradient buffers can be reduced in place without copies.
public protocol Communicator: AnyObject {
    /// This process's rank in [0, size).
    var rank: Int { get }
    /// Number of ranks in the group.
    var size: Int { get }
    /// A human-readable name of the backend ("mpi", "single", "threads").
    var backendName: String { get }

    /// Blocks until every rank has arrived.
    func barrier() throws

    /// Reduces `count` elements at `buffer` across ranks in place.
    func allreduce(_ buffer: UnsafeMutableRawPointer, count: Int, element: CommElement, op: ReduceOp) throws

    /// `allreduce` for a communication thread that shares its core with computation: while `stillComputing()` it
    /// waits without spinning, so the computing thread keeps the core; once computation is done it polls without
    /// pauses (yielding to other runnable threads), so the last buckets finish as fast as the transport allows (MPI
    /// backend: MPI_Iallreduce polled with MPI_Test, 20 µs sleeps between polls while computing).
    func allreduceWhileComputing(_ buffer: UnsafeMutableRawPointer, count: Int, element: CommElement, op: ReduceOp,
                                 stillComputing: () -> Bool) throws

    /// Sums `counts[r]` elements per rank across ranks and leaves rank r's block (which starts at the sum of
    /// the counts before r) in place in `buffer` at that same offset; other blocks are left undefined.
    /// This is ZeRO-1's gradient reduction: each rank receives the summed gradient of the shard it updates.
    func reduceScatter(_ buffer: UnsafeMutableRawPointer, counts: [Int], element: CommElement) throws

    /// Copies `byteCount` bytes at `buffer` from `root` to every rank.
    func broadcast(_ buffer: UnsafeMutableRawPointer, byteCount: Int, root: Int) throws

    /// Gathers `byteCount` bytes from every rank into `output` (size × byteCount, in rank order) on every rank.
    func allgather(_ input: UnsafeRawPointer, byteCount: Int, output: UnsafeMutableRawPointer) throws

    /// Gathers a variable number of bytes from every rank into `output`, rank r's at `displacements[r]`.
    func allgatherv(_ input: UnsafeRawPointer, byteCount: Int, output: UnsafeMutableRawPointer,
                    counts: [Int], displacements: [Int]) throws

    /// Sends `sendCounts[r]` bytes at `sendDisplacements[r]` to rank r and receives `receiveCounts[r]` bytes from
    /// rank r at `receiveDisplacements[r]`. Counts may be zero and uneven.
    func alltoallv(send: UnsafeRawPointer, sendCounts: [Int], sendDisplacements: [Int],
                   receive: UnsafeMutableRawPointer, receiveCounts: [Int], receiveDisplacements: [Int]) throws

    /// Prints `message` once with this rank's number and ends the whole job with a non-zero code.
    func abort(_ message: String, code: Int32) -> Never

    /// Shuts the transport down at the normal end of the job (MPI_Finalize); a no-op for local backends.
    func finalize()
}

extension Communicator {
    public func finalize() {}

    public func allreduceWhileComputing(_ buffer: UnsafeMutableRawPointer, count: Int, element: CommElement, op: ReduceOp,
                                        stillComputing: () -> Bool) throws {
        try allreduce(buffer, count: count, element: element, op: op)
    }
}
