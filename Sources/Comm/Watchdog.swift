import CMPI
import Support
#if canImport(Glibc)
import Glibc
#endif

/// The stall watchdog: notices when this rank has been blocked in one collective for longer than `timeout`
/// seconds, finds out which ranks have not reached that collective, and ends the job naming them.
///
/// How it learns who is late: every rank counts the collectives it has entered (all ranks issue the same
/// collectives in the same order, method.md §7, so collective #k is the same call everywhere). A background
/// thread per rank answers queries about that count on a private duplicate of MPI_COMM_WORLD. When a rank has
/// waited `timeout` seconds in collective #k, its thread asks every peer for its count: a peer whose count is
/// below k has not reached the collective (it is computing, stuck or sleeping); a peer at k in another
/// operation issued mismatched collectives; a peer that does not answer is unresponsive. The lowest blocked
/// rank prints one line naming them and calls MPI_Abort. A late rank's own watchdog thread keeps answering
/// while its main thread is busy, which is what lets the waiting ranks tell "late" from "dead".
///
/// Nothing is sent while the job is healthy: the cost is a lock and a clock read per collective and one
/// MPI_Iprobe per tick on the private communicator. The thread calls MPI concurrently with the main thread,
/// so the job must run at MPI_THREAD_MULTIPLE (`MPICommunicator` asks for it when a watchdog is wanted).
public final class Watchdog {
    /// The collectives the communicator reports, with the MPI call each stands for in messages.
    public enum Operation: Int64, CaseIterable, Sendable {
        case barrier, allreduce, reduceScatter, broadcast, allgather, allgatherv, alltoallv

        /// The MPI function name shown in the abort message.
        public var mpiName: String {
            switch self {
            case .barrier: return "MPI_Barrier"
            case .allreduce: return "MPI_Allreduce"
            case .reduceScatter: return "MPI_Reduce_scatter"
            case .broadcast: return "MPI_Bcast"
            case .allgather: return "MPI_Allgather"
            case .allgatherv: return "MPI_Allgatherv"
            case .alltoallv: return "MPI_Alltoallv"
            }
        }
    }

    /// What a peer answered: how many collectives it has entered, and whether it is blocked in one now.
    public struct PeerState: Equatable, Sendable {
        public let rank: Int
        public let entered: Int64
        /// The operation it is blocked in; nil when it is outside every collective (computing or stuck).
        public let blockedIn: Operation?

        public init(rank: Int, entered: Int64, blockedIn: Operation?) {
            self.rank = rank
            self.entered = entered
            self.blockedIn = blockedIn
        }
    }

    /// Seconds a rank may wait in one collective before the job is ended.
    public let timeout: Double
    let rank: Int, size: Int
    private let channel: MPI_Comm
    private var mutex = pthread_mutex_t()
    private var entered: Int64 = 0
    private var blockedSince = -1.0
    private var current = Operation.barrier
    /// Nesting depth: a large allgather runs as an allgatherv, and counts as one collective.
    private var depth = 0
    private var stopping = false
    private var thread: pthread_t?
    static let queryTag: Int32 = 1, replyTag: Int32 = 2

    /// Starts the watchdog thread for this rank. Collective over the world (duplicates the communicator), so
    /// every rank must call it, with any timeout.
    init(timeout: Double, rank: Int, size: Int) throws {
        self.timeout = timeout
        self.rank = rank
        self.size = size
        var dup: MPI_Comm? = nil
        let rc = MPI_Comm_dup(ddt_comm_world(), &dup)
        guard rc == ddt_success(), let dup else {
            throw DDError("rank \(rank): the stall watchdog cannot duplicate MPI_COMM_WORLD (code \(rc)) (fix: unset DDTRAIN_WATCHDOG_S and train.watchdog_s)")
        }
        MPI_Comm_set_errhandler(dup, ddt_errors_return())
        channel = dup
        pthread_mutex_init(&mutex, nil)
        let box = Unmanaged.passRetained(self).toOpaque()
        var tid = pthread_t()
        guard pthread_create(&tid, nil, { raw in
            let dog = Unmanaged<Watchdog>.fromOpaque(raw!).takeRetainedValue()
            dog.loop()
            return nil
        }, box) == 0 else {
            Unmanaged<Watchdog>.fromOpaque(box).release()
            throw DDError("rank \(rank): cannot start the stall watchdog thread (fix: unset DDTRAIN_WATCHDOG_S and train.watchdog_s)")
        }
        thread = tid
    }

    /// The timeout the job asked for: DDTRAIN_WATCHDOG_S when set (it overrides the config), else `configured`;
    /// 0 means no watchdog.
    /// `environment` is the variable's value (read from the process when not given).
    public static func requestedTimeout(configured: Double,
                                        environment: String? = getenv("DDTRAIN_WATCHDOG_S").map { String(cString: $0) }) throws -> Double {
        guard let raw = environment, !raw.isEmpty else { return configured }
        guard let v = Double(raw), v >= 0, v.isFinite else {
            throw DDError("environment variable DDTRAIN_WATCHDOG_S is '\(raw)', not a number of seconds >= 0 (fix: e.g. DDTRAIN_WATCHDOG_S=300, or 0 to turn the watchdog off)")
        }
        return v
    }

    /// Records that this rank enters a collective (called by the communicator before the MPI call).
    public func begin(_ op: Operation) {
        pthread_mutex_lock(&mutex)
        if depth == 0 {
            entered += 1
            current = op
            blockedSince = monotonicSeconds()
        }
        depth += 1
        pthread_mutex_unlock(&mutex)
    }

    /// Records that the collective returned.
    public func end() {
        pthread_mutex_lock(&mutex)
        depth -= 1
        if depth == 0 { blockedSince = -1 }
        pthread_mutex_unlock(&mutex)
    }

    /// Stops and joins the thread (before MPI_Finalize).
    public func stop() {
        pthread_mutex_lock(&mutex)
        stopping = true
        pthread_mutex_unlock(&mutex)
        if let t = thread { pthread_join(t, nil) }
        thread = nil
    }

    /// (collectives entered, the operation, seconds blocked) when blocked now, else nil; plus whether to stop.
    private func snapshot() -> (state: (Int64, Operation, Double)?, stop: Bool) {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        let s = blockedSince >= 0 ? (entered, current, monotonicSeconds() - blockedSince) : nil
        return (s, stopping)
    }

    private func loop() {
        // A short tick keeps replies prompt; the probes are cheap and only touch the private communicator.
        let tick = UInt32(max(10_000, min(200_000, timeout * 1e6 / 10)))
        var diagnosed: Int64 = -1
        var giveUpAt = Double.infinity
        while true {
            let (state, stop) = snapshot()
            if stop { return }
            answerQueries()
            if let (k, op, waited) = state {
                if waited > timeout, k != diagnosed {
                    diagnosed = k
                    giveUpAt = monotonicSeconds() + timeout
                    investigate(collective: k, op: op)
                } else if k == diagnosed, monotonicSeconds() > giveUpAt {
                    // A lower rank should have ended the job by now; do it from here.
                    abortJob("stall watchdog: waited \(fixed(waited, 1)) s in \(op.mpiName) (collective #\(k)) and the rank that should have "
                             + "reported it did not (fix: see the other ranks' output; raise train.watchdog_s or DDTRAIN_WATCHDOG_S if the wait is legitimate)")
                }
            }
            usleep(tick)
        }
    }

    /// Answers every pending query with this rank's count and state.
    private func answerQueries() {
        var flag: Int32 = 0
        var status = MPI_Status()
        while MPI_Iprobe(ddt_any_source(), Self.queryTag, channel, &flag, &status) == ddt_success(), flag != 0 {
            var query: [Int64] = [0]
            let source = status.MPI_SOURCE
            guard MPI_Recv(&query, 1, ddt_type_int64(), source, Self.queryTag, channel, ddt_status_ignore()) == ddt_success() else { return }
            let (state, _) = snapshot()
            pthread_mutex_lock(&mutex)
            let count = entered
            pthread_mutex_unlock(&mutex)
            var reply: [Int64] = [query[0], count, state.map { $0.1.rawValue } ?? -1]
            _ = MPI_Send(&reply, 3, ddt_type_int64(), source, Self.replyTag, channel)
        }
    }

    /// Asks every peer where it is, then ends the job naming the late ones (unless the collective completes
    /// meanwhile, or a lower rank that is blocked too will report it).
    private func investigate(collective k: Int64, op: Operation) {
        for peer in 0..<size where peer != rank {
            var query: [Int64] = [k]
            _ = MPI_Send(&query, 1, ddt_type_int64(), Int32(peer), Self.queryTag, channel)
        }
        var peers: [Int: PeerState] = [:]
        let deadline = monotonicSeconds() + max(1, min(5, timeout))
        while peers.count < size - 1, monotonicSeconds() < deadline {
            answerQueries()
            var flag: Int32 = 0
            var status = MPI_Status()
            while MPI_Iprobe(ddt_any_source(), Self.replyTag, channel, &flag, &status) == ddt_success(), flag != 0 {
                var reply: [Int64] = [0, 0, 0]
                let source = status.MPI_SOURCE
                guard MPI_Recv(&reply, 3, ddt_type_int64(), source, Self.replyTag, channel, ddt_status_ignore()) == ddt_success() else { break }
                // Replies to an earlier investigation are stale.
                if reply[0] == k {
                    peers[Int(source)] = PeerState(rank: Int(source), entered: reply[1], blockedIn: Operation(rawValue: reply[2]))
                }
            }
            usleep(5_000)
        }
        guard let (now, _, waited) = snapshot().state, now == k else { return }  // the collective completed: no stall
        let report = Watchdog.diagnose(rank: rank, size: size, collective: k, operation: op, waited: waited, peers: Array(peers.values))
        if report.reporter { abortJob(report.message) }
    }

    private func abortJob(_ message: String) -> Never {
        FileHandleStderr.write("ddtrain: rank \(rank): \(message)\n")
        MPI_Abort(ddt_comm_world(), 3)
        exit(3)
    }

    /// What the investigation concluded: the one-line message, and whether this rank is the one to report
    /// (the lowest rank blocked in the same collective, so the job prints one message).
    public struct Report: Equatable, Sendable {
        public let message: String
        public let reporter: Bool
        /// Ranks that have not reached the collective, in another collective, or silent.
        public let late: [Int], mismatched: [Int], silent: [Int]
    }

    /// Classifies the peers of rank `rank`, which has waited `waited` s in collective #`collective` (`operation`).
    /// Pure, so that tests can check it without MPI.
    public static func diagnose(rank: Int, size: Int, collective k: Int64, operation: Operation, waited: Double,
                                peers: [PeerState]) -> Report {
        let byRank = Dictionary(peers.map { ($0.rank, $0) }, uniquingKeysWith: { a, _ in a })
        var late: [Int] = [], mismatched: [Int] = [], silent: [Int] = [], waiting: [Int] = [rank]
        var details: [String] = []
        for r in 0..<size where r != rank {
            guard let p = byRank[r] else {
                silent.append(r)
                details.append("rank \(r) did not answer (dead or its process is frozen)")
                continue
            }
            if p.entered < k {
                late.append(r)
                let doing = p.blockedIn.map { "waiting in \($0.mpiName)" } ?? "outside any collective (computing or stuck)"
                details.append("rank \(r) has not reached it (it is at collective #\(p.entered), \(doing))")
            } else if p.entered == k, let other = p.blockedIn, other != operation {
                mismatched.append(r)
                details.append("rank \(r) is in \(other.mpiName) instead (mismatched collectives)")
            } else if p.entered > k {
                mismatched.append(r)
                details.append("rank \(r) is already at collective #\(p.entered) (mismatched collectives)")
            } else if p.blockedIn == operation {
                waiting.append(r)
            }
        }
        let named = (late + mismatched + silent).sorted()
        let who = named.isEmpty ? "no peer (every rank has reached it; the transport itself is stuck)" : "rank(s) \(named.map(String.init).joined(separator: ", "))"
        let message = "stall watchdog: waited \(fixed(waited, 1)) s in \(operation.mpiName) (collective #\(k)) for \(who)"
            + (details.isEmpty ? "" : ": " + details.joined(separator: "; "))
            + " (fix: see the named rank's output for why it is slow or stuck; raise train.watchdog_s or DDTRAIN_WATCHDOG_S if such waits are expected)"
        return Report(message: message, reporter: waiting.min() == rank, late: late, mismatched: mismatched, silent: silent)
    }
}
