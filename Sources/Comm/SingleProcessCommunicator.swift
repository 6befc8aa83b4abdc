#if canImport(Glibc)
import Glibc
#endif
import Support

/// The communicator of a job with one rank and no MPI: every collective is a local copy or nothing.
public final class SingleProcessCommunicator: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public var backendName: String { "single" }
    public func barrier() throws {}
    public func allreduce(_ buffer: UnsafeMutableRawPointer, count: Int, element: CommElement, op: ReduceOp) throws {}
    public func reduceScatter(_ buffer: UnsafeMutableRawPointer, counts: [Int], element: CommElement) throws {}
    public func broadcast(_ buffer: UnsafeMutableRawPointer, byteCount: Int, root: Int) throws {}
    public func allgather(_ input: UnsafeRawPointer, byteCount: Int, output: UnsafeMutableRawPointer) throws {
        if byteCount > 0 { memmove(output, input, byteCount) }
    }
    public func allgatherv(_ input: UnsafeRawPointer, byteCount: Int, output: UnsafeMutableRawPointer,
                           counts: [Int], displacements: [Int]) throws {
        if byteCount > 0 { memmove(output + displacements[0], input, byteCount) }
    }
    public func alltoallv(send: UnsafeRawPointer, sendCounts: [Int], sendDisplacements: [Int],
                          receive: UnsafeMutableRawPointer, receiveCounts: [Int], receiveDisplacements: [Int]) throws {
        precondition(sendCounts[0] == receiveCounts[0])
        if sendCounts[0] > 0 { memmove(receive + receiveDisplacements[0], send + sendDisplacements[0], sendCounts[0]) }
    }
    public func abort(_ message: String, code: Int32) -> Never {
        FileHandleStderr.write("ddtrain: \(message)\n")
        exit(code)
    }
}
