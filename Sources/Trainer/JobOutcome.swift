import Support

/// How one attempt of a supervised job ended, read from the launcher's exit code and from what mpirun and the
/// ranks printed on stderr; decides whether a restart can help (`ddtrain supervise`, `launch/run --restarts`).
///
/// Retried: a rank lost (killed by a signal, or exited without a ddtrain error), a host lost or unreachable, a
/// stall caught by the watchdog, and failures without any recognisable message. Not retried: a ddtrain error
/// line (bad input, a non-finite loss: the same input fails the same way), the launcher's usage errors, mpirun's
/// `--timeout` (the job's time is spent) and an interruption by the user.
public struct JobOutcome: Equatable, Sendable {
    public enum Kind: String, Sendable {
        case succeeded, rankLost = "rank_lost", hostLost = "host_lost", stall, timeLimit = "time_limit", error, interrupted, unknown
    }

    public let kind: Kind
    /// One line saying what happened.
    public let cause: String
    /// Ranks named as lost or late.
    public let ranks: [Int]
    /// Hosts named as lost or unreachable (as the hostfile names them), and the node named with a lost rank.
    public let hosts: [String]

    /// Whether starting the job again can get further.
    public var retryable: Bool { [.rankLost, .hostLost, .stall, .unknown].contains(kind) }

    /// Reads an attempt's end. `interrupted` is true when the supervisor itself received SIGINT or SIGTERM.
    public static func classify(exitCode: Int32, stderr: String, interrupted: Bool = false) -> JobOutcome {
        func outcome(_ kind: Kind, _ cause: String, ranks: [Int] = [], hosts: [String] = []) -> JobOutcome {
            JobOutcome(kind: kind, cause: cause, ranks: ranks, hosts: hosts)
        }
        if exitCode == 0 { return outcome(.succeeded, "finished") }
        if interrupted { return outcome(.interrupted, "interrupted (SIGINT or SIGTERM) with exit code \(exitCode)") }
        if stderr.contains("time limit for job execution has been reached") {
            return outcome(.timeLimit, "mpirun's --timeout was reached")
        }
        if let line = lines(stderr, containing: "stall watchdog:").first {
            let named = captures(line, #"for rank\(s\) ([0-9, ]+)"#).first ?? ""
            let ranks = named.split(separator: ",").compactMap { Int($0.filter { $0 != " " }) }
            return outcome(.stall, "stall caught by the watchdog (rank(s) \(ranks.map(String.init).joined(separator: ", ")))", ranks: ranks)
        }
        if let m = matches(stderr, #"process rank (\d+) with PID \d+ on node (\S+) exited on signal (\d+)"#).first, let rank = Int(m[0]) {
            return outcome(.rankLost, "rank \(rank) (node \(m[1])) ended by signal \(m[2])\(signalName(m[2]))", ranks: [rank], hosts: [m[1]])
        }
        let lostDaemons = matches(stderr, #"Remote daemon: \[\[\d+,\d+\],\d+\] on node (\S+)"#).map { $0[0] }
        if !lostDaemons.isEmpty {
            return outcome(.hostLost, "lost contact with host \(lostDaemons.joined(separator: ", "))", hosts: lostDaemons)
        }
        // A host that cannot be logged in to (ssh's own words), or that a rank could not reach over TCP (Open MPI's
        // warning names the peer's address); when a host dies under a running job, Open MPI itself names none.
        let unreachable = unique(matches(stderr, #"ssh: (?:connect to host|Could not resolve hostname) ([^\s:]+)"#).map { $0[0] }
                                 + matches(stderr, #"connect\(\) to ([^\s:]+):\d+ failed"#).map { $0[0] })
        if !unreachable.isEmpty || stderr.contains("unable to reliably start one or more daemons") {
            let named = unreachable.isEmpty ? "a host" : "host " + unreachable.joined(separator: ", ")
            return outcome(.hostLost, "could not start on \(named)", hosts: unreachable)
        }
        if let line = lines(stderr, containing: "(fix: ").first(where: { $0.hasPrefix("ddtrain: ") }), exitCode == 1 || exitCode == 2 {
            return outcome(.error, String(line.dropFirst("ddtrain: ".count)))
        }
        if exitCode == 2, let line = lines(stderr, containing: "launch/run: ").first {
            return outcome(.error, line)
        }
        if let m = matches(stderr, #"Process name: \[\[\d+,\d+\],(\d+)\]\s*Exit code:\s*(\d+)"#).first, let rank = Int(m[0]) {
            return outcome(.rankLost, "rank \(rank) exited with code \(m[1])", ranks: [rank])
        }
        return outcome(.unknown, "the job ended with exit code \(exitCode) and no recognisable message")
    }

    /// " (SIGKILL)" and the like for the common signals.
    static func signalName(_ number: String) -> String {
        let names = ["1": "SIGHUP", "2": "SIGINT", "6": "SIGABRT", "7": "SIGBUS", "9": "SIGKILL", "11": "SIGSEGV", "15": "SIGTERM"]
        return names[number].map { " (\($0))" } ?? ""
    }

    static func unique(_ xs: [String]) -> [String] { xs.enumerated().filter { !xs[..<$0.offset].contains($0.element) }.map(\.element) }

    static func lines(_ text: String, containing needle: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter { $0.contains(needle) }
    }

    /// The capture groups of every match of `pattern` in `text`.
    static func matches(_ text: String, _ pattern: String) -> [[String]] {
        guard let regex = try? Regex(pattern) else { return [] }
        return text.matches(of: regex).map { m in (1..<m.output.count).map { m.output[$0].substring.map(String.init) ?? "" } }
    }

    static func captures(_ text: String, _ pattern: String) -> [String] { matches(text, pattern).first ?? [] }
}
