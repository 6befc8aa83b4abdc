import Foundation

/// Locates the built `ddtrain` and runs it directly or under mpirun, for multi-process tests.
public enum MPIRunner {
    /// The package root (two levels above this file's folder).
    public static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The `ddtrain` binary: $DDTRAIN_BIN, else the newest of .build/{debug,release}/ddtrain.
    public static var binary: String {
        if let b = ProcessInfo.processInfo.environment["DDTRAIN_BIN"] { return b }
        let candidates = ["debug", "release"].map { "\(packageRoot)/.build/\($0)/ddtrain" }
        let existing = candidates.filter { FileManager.default.isExecutableFile(atPath: $0) }
        func mtime(_ p: String) -> Date { (try? FileManager.default.attributesOfItem(atPath: p)[.modificationDate] as? Date) ?? .distantPast }
        return existing.max(by: { mtime($0) < mtime($1) }) ?? candidates[0]
    }

    /// Environment every test run gets: root allowed, one OpenBLAS thread per rank, no single-copy mechanism
    /// (containers without ptrace rights).
    public static let baseEnvironment: [String: String] = [
        "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
        "OPENBLAS_NUM_THREADS": "1", "OMPI_MCA_btl_vader_single_copy_mechanism": "none",
        "OMPI_MCA_rmaps_base_oversubscribe": "1",
    ]

    /// Runs `ddtrain ARGS` under `mpirun -np N` with a hard timeout (mpirun's own and the runner's).
    public static func mpirun(_ ranks: Int, _ args: [String], environment: [String: String] = [:], timeout: Int = 120) throws -> ProcessResult {
        var env = baseEnvironment
        for (k, v) in environment { env[k] = v }
        let exports = environment.keys.sorted().flatMap { ["-x", $0] }
        let argv = ["mpirun", "-np", String(ranks), "--oversubscribe", "--bind-to", "none", "--timeout", String(timeout)] + exports + [binary] + args
        return try ProcessRunner.run(argv, environment: env, timeout: Double(timeout) + 15)
    }

    /// Runs `ddtrain ARGS` as a plain process.
    public static func ddtrain(_ args: [String], environment: [String: String] = [:], timeout: Int = 120) throws -> ProcessResult {
        var env = baseEnvironment
        for (k, v) in environment { env[k] = v }
        return try ProcessRunner.run([binary] + args, environment: env, timeout: Double(timeout))
    }

    /// A new empty temporary folder.
    public static func temporaryDirectory(_ tag: String = "test") -> String {
        let p = FileManager.default.temporaryDirectory.appendingPathComponent("ddtrain-\(tag)-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        return p
    }
}
