import Comm
import Support

/// Whether `train` continues a run: never, always (`--resume`: a checkpoint must exist), or when there is a
/// checkpoint to continue from (`--resume=auto`, `train.resume: "auto"`: a requeued cluster job starts fresh the
/// first time and continues afterwards).
public enum ResumeMode: String, Equatable, Sendable {
    case no = "false", yes = "true", auto

    /// Parses the config value: false, true or "auto".
    public static func parse(_ r: ConfigReader, key: String) throws -> ResumeMode {
        guard let j = r.raw(key) else { return .no }
        if let b = j.boolValue { return b ? .yes : .no }
        guard j.stringValue == "auto" else {
            throw DDError.config(r.keyPath(key), "expected true, false or \"auto\", got \(j.compact)",
                                 fix: "write \"auto\" to resume only when the run folder holds a checkpoint")
        }
        return .auto
    }

    /// Parses the command line's `--resume` (true) or `--resume=auto`; nil when the flag is absent.
    public static func flag(present: Bool, value: String?) throws -> ResumeMode? {
        guard present else { return nil }
        switch value {
        case nil, "true": return .yes
        case "auto": return .auto
        case "false": return .no
        case let v?: throw DDError.usage("ddtrain train: --resume=\(v): expected --resume or --resume=auto")
        }
    }

    /// The config value as written in the resolved config.
    public var json: JSON {
        switch self {
        case .no: return .bool(false)
        case .yes: return .bool(true)
        case .auto: return .string("auto")
        }
    }

    /// Whether this job resumes: for `auto`, whether rank 0 sees a checkpoint in the run folder (broadcast, so
    /// every rank agrees even without a shared view of the folder).
    public func resolve(runDirectory: String, comm: Communicator) throws -> Bool {
        switch self {
        case .no: return false
        case .yes: return true
        case .auto:
            var found: [Int64] = [comm.rank == 0 ? (try CheckpointStore(runDirectory: runDirectory, keep: 1).list().isEmpty ? 0 : 1) : 0]
            try found.withUnsafeMutableBytes { try comm.broadcast($0.baseAddress!, byteCount: $0.count, root: 0) }
            if found[0] == 0 { Log.info("resume=auto: \(runDirectory) holds no checkpoint yet; starting the run") }
            return found[0] != 0
        }
    }
}
