import Support
#if canImport(Glibc)
import Glibc
#endif

/// Runs one attempt of a supervised job: the child's stderr is passed through to ours as it comes and kept (its
/// last megabyte) to be read afterwards; stdout passes through untouched. The child stays in our process group,
/// so a terminal's Ctrl-C and a group kill reach it directly; a SIGTERM sent to this process alone is passed on.
enum AttemptProcess {
    /// Set by the signal handler when this process receives SIGINT or SIGTERM.
    nonisolated(unsafe) static var interrupted: sig_atomic_t = 0
    /// The running child, for the signal handler.
    nonisolated(unsafe) static var child: pid_t = 0
    static let keptBytes = 1 << 20

    /// Installs the handlers: remember the interruption, pass SIGTERM on to the child. SIGUSR1 (what
    /// `launch/slurm.sbatch` asks SLURM to send before the time limit) counts as SIGTERM, so a job under the
    /// restart loop also finishes its step and writes a checkpoint instead of the supervisor dying.
    static func installSignalHandlers() {
        signal(SIGINT) { _ in AttemptProcess.interrupted = 1 }
        for number in [SIGTERM, SIGUSR1] {
            signal(number) { _ in
                AttemptProcess.interrupted = 1
                if AttemptProcess.child > 0 { kill(AttemptProcess.child, SIGTERM) }
            }
        }
    }

    /// Runs `argv` to its end; returns its exit code (128 + signal when a signal ended it) and its stderr, followed
    /// by mpirun's unfiltered stderr (launch/mpirun-job shows a person one line per failure but also copies what
    /// mpirun printed to $DDTRAIN_RAW_STDERR, which is what `JobOutcome` reads).
    static func run(_ argv: [String]) throws -> (status: Int32, stderr: String) {
        let folder = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        let raw = "\(folder)/ddtrain-attempt-\(getpid())-\(Int(monotonicSeconds() * 1e6)).stderr"
        setenv("DDTRAIN_RAW_STDERR", raw, 1)
        defer { unsetenv("DDTRAIN_RAW_STDERR"); unlink(raw) }
        let (status, shown) = try spawn(argv)
        let mpirun = (try? FileIO.readText(raw)).map { String($0.suffix(keptBytes)) } ?? ""
        return (status, shown + "\n" + mpirun)
    }

    /// Runs `argv`, passing its stderr through and keeping the last megabyte of it.
    private static func spawn(_ argv: [String]) throws -> (status: Int32, stderr: String) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw DDError("cannot create a pipe for \(argv[0]) (fix: raise the open-file limit)") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, argv[0], &actions, nil, cArgs, environ)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw DDError("cannot start \(argv[0]): \(String(cString: strerror(rc))) (fix: check the path and that it is executable)")
        }
        child = pid
        defer { child = 0; close(fds[0]) }
        var kept: [UInt8] = []
        var status: Int32 = 0
        var exited = false
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            var poller = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, exited ? 0 : 100)
            var n = 0
            if ready > 0 {
                n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
                if n > 0 {
                    _ = buffer.withUnsafeBytes { write(2, $0.baseAddress, n) }
                    kept += buffer[..<n]
                    if kept.count > 2 * keptBytes { kept.removeFirst(kept.count - keptBytes) }
                }
            }
            if !exited, waitpid(pid, &status, WNOHANG) == pid { exited = true; continue }
            // After the child's end, read on while output is ready (a descendant may still hold the pipe open).
            if exited, n <= 0 { break }
        }
        return (ChildProcess.exitCode(status), String(decoding: kept, as: UTF8.self))
    }
}
