import Support
#if canImport(Glibc)
import Glibc
#endif

/// Deliberate failures for the reliability tests, switched on by environment variables (never by configs):
///
/// - `DDTRAIN_FAULT_KILL_RANK=R` and `DDTRAIN_FAULT_KILL_STEP=S`: rank R sends itself SIGKILL when step S starts.
/// - `DDTRAIN_FAULT_STALL_RANK=R` and `DDTRAIN_FAULT_STALL_STEP=S`: rank R sleeps `DDTRAIN_FAULT_STALL_SECONDS`
///   (default 3600) when step S starts, as a stuck rank would (the stall watchdog's test).
/// - `DDTRAIN_FAULT_NAN_STEP=S`: a parameter becomes NaN before step S's forward pass (a diverged run).
/// - `DDTRAIN_FAULT_CHECKPOINT_DIE_STEP=S`: the process writing the checkpoint taken before step S kills itself
///   after the data is written to the temporary file and before the rename (a crash mid-checkpoint).
/// - `DDTRAIN_FAULT_CHECKPOINT_PAUSE_MS=M`: the checkpoint writer pauses M ms at that same point, every checkpoint,
///   so that a test can kill a rank while a checkpoint is being written (the chaos test).
public struct FaultInjection {
    public var killRank: Int?
    public var killStep: Int?
    public var checkpointDieStep: Int?
    public var nanStep: Int?
    public var stallRank: Int?
    public var stallStep: Int?
    public var stallSeconds = 3600
    public var checkpointPauseMilliseconds = 0

    public static func fromEnvironment() -> FaultInjection {
        func int(_ name: String) -> Int? { getenv(name).flatMap { Int(String(cString: $0)) } }
        var f = FaultInjection(killRank: int("DDTRAIN_FAULT_KILL_RANK"), killStep: int("DDTRAIN_FAULT_KILL_STEP"),
                               checkpointDieStep: int("DDTRAIN_FAULT_CHECKPOINT_DIE_STEP"), nanStep: int("DDTRAIN_FAULT_NAN_STEP"))
        f.stallRank = int("DDTRAIN_FAULT_STALL_RANK")
        f.stallStep = int("DDTRAIN_FAULT_STALL_STEP")
        f.stallSeconds = int("DDTRAIN_FAULT_STALL_SECONDS") ?? f.stallSeconds
        f.checkpointPauseMilliseconds = int("DDTRAIN_FAULT_CHECKPOINT_PAUSE_MS") ?? 0
        return f
    }

    /// Sleeps (outside every collective) when this is the chosen rank at the chosen step.
    public func maybeStall(rank: Int, step: Int) {
        if stallRank == rank, stallStep == step {
            FileHandleStderr.write("ddtrain: rank \(rank): fault injection: stalling \(stallSeconds) s at step \(step)\n")
            sleep(UInt32(max(0, stallSeconds)))
        }
    }

    /// Kills this process when it is the chosen rank at the chosen step.
    public func maybeKill(rank: Int, step: Int) {
        if killRank == rank, killStep == step {
            FileHandleStderr.write("ddtrain: rank \(rank): fault injection: SIGKILL at step \(step)\n")
            kill(getpid(), SIGKILL)
        }
    }

    /// Inside the checkpoint writer (data in the temporary file, not yet renamed): pauses when asked to, and
    /// kills this process when asked to for this step.
    public func insideCheckpointWriter(step: Int) {
        if checkpointPauseMilliseconds > 0 { usleep(UInt32(min(checkpointPauseMilliseconds, 60_000)) * 1000) }
        if checkpointDieStep == step {
            FileHandleStderr.write("ddtrain: fault injection: dying inside the checkpoint writer (step \(step))\n")
            kill(getpid(), SIGKILL)
        }
    }

    /// Makes the last parameter (in the output layer or final norm, which every token passes) NaN at the chosen
    /// step, as a diverging run would.
    public func maybePoison(_ params: UnsafeMutableBufferPointer<Float>, step: Int) {
        if nanStep == step, params.count > 0 { params[params.count - 1] = .nan }
    }
}
