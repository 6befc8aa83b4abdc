import Support
#if canImport(Glibc)
import Glibc
#endif

/// Runs another program to completion and returns its exit status and standard output (stderr passes through).
/// Used by benchmarks that compare job sizes (they start `mpirun` themselves).
enum ChildProcess {
    static func run(_ argv: [String]) throws -> (status: Int32, stdout: String) {
        let outPath = "/tmp/ddtrain-child-\(getpid())-\(Int(monotonicSeconds() * 1e6)).out"
        defer { unlink(outPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawnp(&pid, argv[0], &actions, nil, cArgs, environ) == 0 else {
            throw DDError("cannot start \(argv[0]) (fix: install it, e.g. launch/install)")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let out = (try? FileIO.readText(outPath)) ?? ""
        return (exitCode(status), out)
    }

    /// The exit code of a `waitpid` status: the process's own, or 128 + the signal that ended it.
    static func exitCode(_ status: Int32) -> Int32 { (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f) }

    /// The path of the running executable.
    static var selfPath: String {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        return n > 0 ? String(cString: buf) : CommandLine.arguments[0]
    }
}
