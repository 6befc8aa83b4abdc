#if canImport(Glibc)
import Glibc
#endif

/// Writes a string to standard error unbuffered.
public enum FileHandleStderr {
    public static func write(_ s: String) {
        var s = s
        s.withUTF8 { buf in _ = Glibc.write(2, buf.baseAddress, buf.count) }
    }
}

/// Where this process stands in the job, for message prefixes. Set once by the communicator at start.
public enum ProcessContext {
    /// This process's rank (0 when not under MPI).
    nonisolated(unsafe) public static var rank = 0
    /// Number of ranks in the job (1 when not under MPI).
    nonisolated(unsafe) public static var worldSize = 1
}

/// Progress and warning messages. `info` prints on rank 0 only; `warn` on every rank, prefixed with it.
public enum Log {
    /// Suppresses `info` output (used by `--json` modes so stdout stays one JSON object).
    nonisolated(unsafe) public static var quiet = false

    /// A progress message on rank 0, to standard error so that stdout stays machine-readable.
    public static func info(_ s: String) {
        guard ProcessContext.rank == 0, !quiet else { return }
        FileHandleStderr.write(s + "\n")
    }

    /// A warning from any rank, prefixed with the rank when the job has several.
    public static func warn(_ s: String) {
        let prefix = ProcessContext.worldSize > 1 ? "ddtrain: rank \(ProcessContext.rank): warning: " : "ddtrain: warning: "
        FileHandleStderr.write(prefix + s + "\n")
    }
}
