import Support
#if canImport(Glibc)
import Glibc
#endif

/// The checkpoints of a run folder: `RUN/checkpoints/checkpoint-00000120.ddt` (the number is the next step to
/// run), the newest `keep` kept. Loading walks back from the newest and skips, with a warning, any file that
/// fails verification (a crash mid-write, a corrupted disk block).
public struct CheckpointStore {
    public let directory: String
    public let keep: Int

    public init(runDirectory: String, keep: Int) {
        directory = runDirectory + "/checkpoints"
        self.keep = keep
    }

    /// The file name of the checkpoint taken before `step`.
    public func path(forStep step: Int) -> String {
        let digits = String(step)
        return directory + "/checkpoint-" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits + ".ddt"
    }

    /// Existing checkpoint files, newest first (temporary files of interrupted writes are not listed).
    public func list() throws -> [String] {
        guard FileIO.isDirectory(directory) else { return [] }
        return try FileIO.listDirectory(directory)
            .filter { $0.hasPrefix("checkpoint-") && $0.hasSuffix(".ddt") }
            .sorted(by: >)
            .map { directory + "/" + $0 }
    }

    /// The step the newest checkpoint file resumes at, from its name (without reading or verifying it); nil when
    /// there is none.
    public func newestStep() throws -> Int? {
        try list().first.flatMap { Int($0.dropFirst((directory + "/checkpoint-").count).dropLast(".ddt".count)) }
    }

    /// Writes the checkpoint for `step` and then removes the oldest beyond `keep` and stale temporary files.
    public func save(step: Int, header: JSON, sections: [CheckpointFile.Section], beforeRename: () -> Void = {}) throws {
        try FileIO.makeDirectories(directory)
        try CheckpointFile.write(path: path(forStep: step), header: header, sections: sections, beforeRename: beforeRename)
        for old in try list().dropFirst(keep) { unlink(old) }
        for name in try FileIO.listDirectory(directory) where name.contains(".ddt.tmp-") { unlink(directory + "/" + name) }
    }

    /// The newest checkpoint that verifies, with a warning for each newer one that does not; nil when none exist.
    public func loadLatest() throws -> (path: String, checkpoint: CheckpointFile.Loaded)? {
        var failures: [String] = []
        for p in try list() {
            do {
                return (p, try CheckpointFile.read(path: p))
            } catch let e as DDError {
                Log.warn("skipping checkpoint \(p): \(e.message); falling back to the previous one")
                failures.append(e.message)
            }
        }
        if !failures.isEmpty {
            throw DDError("no checkpoint in \(directory) verifies (\(failures.count) tried; newest: \(failures[0])) (fix: start the run afresh without --resume)")
        }
        return nil
    }
}
