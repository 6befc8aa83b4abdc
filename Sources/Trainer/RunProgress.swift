import Support

/// Where a run folder stands between two attempts of a supervised job: the steps its metrics record and the
/// step its newest checkpoint resumes at. Read without loading the checkpoint, and tolerant of a metrics line
/// cut short by a killed rank.
public struct RunProgress: Equatable, Sendable {
    /// Steps trained as metrics.jsonl records them (the last training record's step + 1); 0 when none.
    public let stepsDone: Int
    /// The step the newest checkpoint resumes at; nil when there is none (a restart then starts afresh).
    public let checkpointStep: Int?

    /// Steps trained since the newest checkpoint, which a restart trains again.
    public var stepsLost: Int { max(0, stepsDone - (checkpointStep ?? 0)) }

    /// Reads the progress of the run folder `runDirectory`.
    public static func read(runDirectory: String) -> RunProgress {
        let text = (try? FileIO.readText(runDirectory + "/metrics.jsonl")) ?? ""
        let last = text.split(separator: "\n").reversed().lazy.compactMap { line -> Int? in
            guard let j = try? JSONParser.parse(String(line)), j["type"]?.stringValue == "train" else { return nil }
            return j["step"]?.intValue
        }.first
        let checkpoint = try? CheckpointStore(runDirectory: runDirectory, keep: 0).newestStep()
        return RunProgress(stepsDone: last.map { $0 + 1 } ?? 0, checkpointStep: checkpoint ?? nil)
    }
}
