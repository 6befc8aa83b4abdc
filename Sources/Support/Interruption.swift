#if canImport(Glibc)
import Glibc
#endif

/// Graceful interruption: the first SIGINT, SIGTERM, SIGUSR1 or SIGUSR2 only records a request, which the
/// training loop agrees on across ranks at the next step boundary (it finishes the step, writes a checkpoint and
/// exits 130 or 143); a second signal ends the process at once.
///
/// Why four signals: a person presses Ctrl-C (SIGINT) and a scheduler sends SIGTERM, but mpirun itself kills its
/// job on those; it forwards SIGUSR1 and SIGUSR2 to every rank instead. `launch/run` therefore forwards SIGINT
/// as SIGUSR2 and SIGTERM as SIGUSR1, and `launch/slurm.sbatch` asks SLURM for SIGUSR1 before the time limit.
public enum Interruption {
    /// Exit code of a run stopped by an interrupt-like signal (SIGINT, SIGUSR2), as a shell reports Ctrl-C.
    public static let interruptCode: Int32 = 130
    /// Exit code of a run stopped by a termination-like signal (SIGTERM, SIGUSR1).
    public static let terminateCode: Int32 = 143

    /// The first signal received (0: none). Allocated once before any handler is installed, so the handler only
    /// stores through a pointer (async-signal-safe).
    private static let received: UnsafeMutablePointer<Int32> = {
        let p = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        p.initialize(to: 0)
        return p
    }()

    /// Installs the handlers (idempotent). Call once the process knows it runs a resumable job.
    public static func install() {
        _ = received
        for s in [SIGINT, SIGTERM, SIGUSR1, SIGUSR2] {
            signal(s) { sig in
                if Interruption.received.pointee != 0 { _exit(Interruption.code(forSignal: sig)) }
                Interruption.received.pointee = sig
            }
        }
    }

    /// The exit code this process asks for: 0 with no request, otherwise 130 or 143.
    public static var requestedCode: Int32 {
        let s = received.pointee
        return s == 0 ? 0 : code(forSignal: s)
    }

    /// Forgets a request (tests run several sessions in one process).
    public static func reset() { received.pointee = 0 }

    /// 130 for SIGINT and SIGUSR2 (what launch/run forwards Ctrl-C as), 143 for SIGTERM and SIGUSR1.
    public static func code(forSignal s: Int32) -> Int32 {
        s == SIGINT || s == SIGUSR2 ? interruptCode : terminateCode
    }

    /// The code every rank agrees on from the sums over ranks of `vote(code)`: 143 when any rank was asked to
    /// terminate, else 130 when any was interrupted, else 0.
    public static func agreed(interruptVotes: Double, terminateVotes: Double) -> Int32 {
        terminateVotes > 0 ? terminateCode : (interruptVotes > 0 ? interruptCode : 0)
    }

    /// This rank's votes for the statistics allreduce: (interrupted, terminated), each 0 or 1.
    public static var votes: (Double, Double) {
        switch requestedCode {
        case interruptCode: return (1, 0)
        case terminateCode: return (0, 1)
        default: return (0, 0)
        }
    }
}
