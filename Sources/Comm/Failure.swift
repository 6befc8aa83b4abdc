#if canImport(Glibc)
import Glibc
#endif
import Support

/// Ends the process on an error: one line with the rank, and the whole job brought down when there are peers.
public enum Failure {
    /// The job's communicator once one exists; used to abort peers instead of leaving them in a collective.
    nonisolated(unsafe) public static var world: Communicator?

    /// Prints the error once and exits (MPI_Abort under mpirun with several ranks, so no peer hangs).
    public static func fail(_ error: Error) -> Never {
        let e = error as? DDError ?? DDError("\(error)")
        // Messages that name their command ("ddtrain bench step: …") follow the "ddtrain: " prefix without repeating it.
        let message = e.message.hasPrefix("ddtrain ") ? String(e.message.dropFirst(8)) : e.message
        if let w = world, w.size > 1 {
            w.abort(message, code: e.exitCode)
        }
        // Under mpirun before MPI started (a bad config on every rank), the rank still prefixes the line so that
        // launch/run can print it once.
        let rank = World.launchRank.map { "rank \($0): " } ?? ""
        FileHandleStderr.write("ddtrain: \(rank)\(message)\n")
        exit(e.exitCode)
    }

    /// Normal end of a command: shuts the transport down cleanly.
    public static func finish() {
        world?.finalize()
    }
}
