import Support

/// Thrown by `TrainingSession.run()` on every rank after a signal was agreed on at a step boundary: the step
/// finished and a verified checkpoint holds the run's state. The command prints `message` (rank 0) and exits with
/// `exitCode` after shutting MPI down cleanly.
public struct TrainingInterrupted: Error, CustomStringConvertible {
    /// The next step to run (the one `--resume` starts at).
    public let step: Int
    /// The checkpoint written at the interruption.
    public let checkpoint: String
    /// 130 (SIGINT) or 143 (SIGTERM), agreed by all ranks.
    public let exitCode: Int32
    /// How to continue (a sweep continues by running it again).
    public var resumeHint = "continue with --resume"

    /// The one line a person reads.
    public var message: String { "interrupted at step \(step); checkpoint \(checkpoint); \(resumeHint)" }
    public var description: String { message }
}

extension TrainingSession {
    /// Ends the run after an agreed interruption: writes the checkpoint for `nextStep` (unless this step already
    /// wrote it), verifies it on rank 0 by reading it back, and throws `TrainingInterrupted` on every rank.
    func stopAfterInterruption(nextStep: Int, alreadySaved: Bool, elapsed: Double) throws -> Never {
        if !alreadySaved { try saveCheckpoint(nextStep: nextStep, elapsed: elapsed) }
        let path = checkpoints.path(forStep: nextStep)
        if comm.rank == 0 { _ = try CheckpointFile.read(path: path) }
        try comm.barrier()
        throw TrainingInterrupted(step: nextStep, checkpoint: path, exitCode: agreedStop)
    }
}
