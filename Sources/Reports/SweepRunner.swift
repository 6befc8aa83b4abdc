import Comm
import Kernels
import Support
import Trainer

/// What a sweep did with each of its variants.
public struct SweepOutcome: Equatable {
    /// Variants trained from the start in this job.
    public var ran: [String] = []
    /// Variants continued from their newest checkpoint (an interrupted earlier job).
    public var resumed: [String] = []
    /// Variants already complete (summary.json present), left alone.
    public var skipped: [String] = []

    /// Nothing run yet.
    public init() {}
}

/// Runs a sweep's variants one after another inside one job: every rank walks the variants in the same order
/// and builds a `TrainingSession` per variant on the job's communicator, so one mpirun serves the whole sweep.
///
/// A variant whose folder holds summary.json is complete and skipped; one with checkpoints but no summary was
/// interrupted and resumes from its newest checkpoint; anything else starts afresh. Rank 0 looks at the files
/// and broadcasts the decision, so ranks without a shared view of the folder still agree.
public enum SweepRunner {
    /// The state of a variant's run folder.
    public enum RunState: Int64 {
        case fresh = 0, interrupted = 1, complete = 2
    }

    /// Looks at a run folder: complete when summary.json exists, interrupted when only checkpoints do.
    public static func state(of runDirectory: String) throws -> RunState {
        if FileIO.exists(runDirectory + "/summary.json") { return .complete }
        return try CheckpointStore(runDirectory: runDirectory, keep: 1).list().isEmpty ? .fresh : .interrupted
    }

    /// Runs the variants named in `only` (every variant when nil) and writes `OUT/sweep.json` first.
    public static func run(_ sweep: SweepFile, only: Set<String>? = nil, comm: Communicator) throws -> SweepOutcome {
        if let only {
            let unknown = only.subtracting(sweep.variants.map(\.name))
            guard unknown.isEmpty else {
                throw DDError.usage("ddtrain sweep: no variant named \(unknown.sorted().joined(separator: ", ")) in \(sweep.path) "
                                    + "(variants: \(sweep.variants.map(\.name).joined(separator: ", ")))")
            }
        }
        if comm.rank == 0 {
            try FileIO.makeDirectories(sweep.outDirectory)
            try AtomicFile.write(sweep.json.pretty, to: sweep.outDirectory + "/sweep.json")
        }
        var outcome = SweepOutcome()
        let chosen = sweep.variants.filter { only?.contains($0.name) ?? true }
        for (n, variant) in chosen.enumerated() {
            let directory = sweep.runDirectory(variant)
            var code: [Int64] = [comm.rank == 0 ? try state(of: directory).rawValue : 0]
            try code.withUnsafeMutableBytes { try comm.broadcast($0.baseAddress!, byteCount: $0.count, root: 0) }
            let state = RunState(rawValue: code[0]) ?? .fresh
            if state == .complete {
                Log.info("sweep \(sweep.name): [\(n + 1)/\(chosen.count)] \(variant.name) is complete (summary.json present); skipped")
                outcome.skipped.append(variant.name)
                continue
            }
            Log.info("sweep \(sweep.name): [\(n + 1)/\(chosen.count)] \(variant.name)" + (state == .interrupted ? " (resuming)" : ""))
            do {
                let config = try TrainingConfig.launched(variant.config)
                Matmul.setThreads(config.run.threads)
                let session = try TrainingSession(config: config, runDirectory: directory, resume: state == .interrupted, comm: comm)
                session.label = variant.name
                _ = try session.run()
            } catch var stop as TrainingInterrupted {
                stop.resumeHint = "run the same sweep command again to continue"
                throw stop
            } catch let e as DDError {
                throw DDError("sweep \(sweep.name), variant \(variant.name) (run folder \(directory)): \(e.message)", exitCode: e.exitCode)
            }
            if state == .interrupted { outcome.resumed.append(variant.name) } else { outcome.ran.append(variant.name) }
        }
        return outcome
    }

    /// The run folders of the sweep's variants that are complete, in sweep order (what the report covers).
    public static func completedRuns(_ sweep: SweepFile) -> [String] {
        sweep.variants.map(sweep.runDirectory).filter { FileIO.exists($0 + "/summary.json") }
    }

    /// The sweep's baseline when at least one of its runs has finished (a report over a partial sweep may not have
    /// it yet): a finished run of that name, or of that variant with seeds.
    public static func finishedBaseline(_ sweep: SweepFile) -> String? {
        guard let name = sweep.baseline else { return nil }
        let finished = completedRuns(sweep).map { $0.split(separator: "/").last.map(String.init) ?? $0 }
        return finished.contains { $0 == name || ReportGroup.variant(ofRun: $0).variant == name } ? name : nil
    }
}
