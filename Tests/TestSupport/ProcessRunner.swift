import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a finished child process left behind.
public struct ProcessResult {
    public let status: Int32
    public let stdout: String
    public let stderr: String
    public let seconds: Double
    public let timedOut: Bool
}

/// Starts programs from tests: output goes to temporary files (a full pipe would deadlock an MPI job), the
/// child gets an empty signal mask (Swift Testing's threads block SIGTERM and a child would inherit that), and
/// the child's whole process group is killed when `timeout` passes.
public enum ProcessRunner {
    /// `whileRunning` is called about every 20 ms with the child's pid and the seconds since it started (a test
    /// can signal the child from there).
    public static func run(_ command: [String], environment: [String: String] = [:], timeout: Double = 120,
                           directory: String? = nil, whileRunning: ((pid_t, Double) -> Void)? = nil) throws -> ProcessResult {
        try start(command, environment: environment, directory: directory).wait(timeout: timeout, whileRunning: whileRunning)
    }

    /// Starts `command` and returns at once; `wait` collects its result.
    public static func start(_ command: [String], environment: [String: String] = [:], directory: String? = nil) throws -> RunningProcess {
        // GNU env -C changes the folder for the child (posix_spawn has no portable chdir action).
        let argv = directory.map { ["env", "-C", $0] + command } ?? command
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("ddtrain-proc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        let outPath = tmp.appendingPathComponent("stdout").path, errPath = tmp.appendingPathComponent("stderr").path

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGTERM); sigaddset(&defaults, SIGINT); sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        let envStrings = env.map { "\($0)=\($1)" }
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = envStrings.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) }; cEnv.forEach { free($0) } }

        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, argv[0], &actions, &attr, cArgs, cEnv)
        guard rc == 0 else {
            try? FileManager.default.removeItem(at: tmp)
            throw NSError(domain: "ProcessRunner", code: Int(rc), userInfo: [NSLocalizedDescriptionKey: "cannot start \(argv[0])"])
        }
        return RunningProcess(pid: pid, outputDirectory: tmp, start: Date())
    }
}

/// A started child process (its own process group) whose output goes to temporary files.
public struct RunningProcess {
    public let pid: pid_t
    let outputDirectory: URL
    let start: Date

    /// Waits for the end (killing the whole process group once `timeout` seconds have passed since the start)
    /// and returns what the process left behind.
    /// `whileRunning` is called about every 20 ms with the child's pid and the seconds since it started.
    public func wait(timeout: Double, whileRunning: ((pid_t, Double) -> Void)? = nil) -> ProcessResult {
        defer { try? FileManager.default.removeItem(at: outputDirectory) }
        var status: Int32 = 0
        var timedOut = false
        while true {
            let w = waitpid(pid, &status, WNOHANG)
            if w == pid { break }
            if Date().timeIntervalSince(start) > timeout {
                timedOut = true
                kill(-pid, SIGKILL)
                waitpid(pid, &status, 0)
                break
            }
            whileRunning?(pid, Date().timeIntervalSince(start))
            usleep(20_000)
        }
        let exitCode: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let out = (try? String(contentsOfFile: outputDirectory.appendingPathComponent("stdout").path, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: outputDirectory.appendingPathComponent("stderr").path, encoding: .utf8)) ?? ""
        return ProcessResult(status: exitCode, stdout: out, stderr: err, seconds: Date().timeIntervalSince(start), timedOut: timedOut)
    }

    /// Kills the whole process group at once (a test's deadline).
    public func killGroup() { kill(-pid, SIGKILL) }
}
