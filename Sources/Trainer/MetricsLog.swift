import Support
#if canImport(Glibc)
import Glibc
#endif

/// The run's metrics as JSON Lines (`metrics.jsonl`), one object per step or evaluation, written by rank 0.
///
/// Each line is written whole and flushed, so a crash loses at most the line being written. On resume the file
/// is cut back to the lines before the resumed step, so the log reads like the uninterrupted run's.
public final class MetricsLog {
    public let path: String
    private var file: UnsafeMutablePointer<FILE>?

    /// Opens (creating or appending to) the log at `path`; with `resumeStep`, drops lines of that step and later.
    public init(path: String, resumeStep: Int? = nil) throws {
        self.path = path
        if let resumeStep, FileIO.exists(path) {
            let kept = try FileIO.readText(path).split(separator: "\n").filter { line in
                guard let j = try? JSONParser.parse(String(line)), let s = j["step"]?.intValue else { return false }
                return s < resumeStep
            }
            try AtomicFile.write(kept.map { $0 + "\n" }.joined(), to: path)
        }
        guard let f = fopen(path, "a") else { throw AtomicFile.ioError(path, "cannot open the metrics log") }
        file = f
    }

    deinit { if let file { fclose(file) } }

    /// Appends one record and flushes it to the file.
    public func write(_ record: JSON) throws {
        guard let file else { return }
        let line = record.compact + "\n"
        guard fputs(line, file) >= 0, fflush(file) == 0 else { throw AtomicFile.ioError(path, "cannot write the metrics log") }
    }

    /// Every record of a metrics file (for reports and tests).
    public static func read(_ path: String) throws -> [JSON] {
        try FileIO.readText(path).split(separator: "\n").enumerated().map { n, line in
            do { return try JSONParser.parse(String(line)) } catch {
                throw DDError.file(path, "line \(n + 1) is not valid JSON", fix: "remove the damaged line")
            }
        }
    }
}
