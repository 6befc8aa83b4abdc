import Support
#if canImport(Glibc)
import Glibc
#endif

/// The job's communicator, chosen once per process.
public enum World {
    /// True when this process was started by mpirun (Open MPI or a PMIx launcher sets these).
    public static var launchedByMPI: Bool {
        getenv("OMPI_COMM_WORLD_SIZE") != nil || getenv("PMIX_RANK") != nil || getenv("PMI_RANK") != nil
    }

    /// This process's rank as the launcher set it (before MPI starts), when launched by mpirun with several ranks.
    public static var launchRank: Int? {
        guard let size = getenv("OMPI_COMM_WORLD_SIZE").flatMap({ Int(String(cString: $0)) }), size > 1 else { return nil }
        return (getenv("OMPI_COMM_WORLD_RANK") ?? getenv("PMIX_RANK")).flatMap { Int(String(cString: $0)) }
    }

    /// MPI under mpirun, the single-process backend otherwise (no MPI_Init, so a plain run starts instantly).
    /// Registers the communicator with `Failure` so an error anywhere brings the whole job down.
    /// A positive `watchdogSeconds` (or DDTRAIN_WATCHDOG_S) starts the MPI backend's stall watchdog.
    public static func communicator(watchdogSeconds: Double = 0) throws -> Communicator {
        if let w = Failure.world { return w }
        let comm: Communicator = launchedByMPI ? try MPICommunicator(watchdogSeconds: watchdogSeconds) : SingleProcessCommunicator()
        Failure.world = comm
        ProcessContext.rank = comm.rank
        ProcessContext.worldSize = comm.size
        return comm
    }
}
