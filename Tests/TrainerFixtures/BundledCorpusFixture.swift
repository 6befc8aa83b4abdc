import Testing
import TestSupport

/// The bundled corpus prepared under mpirun with a config's data settings, for end-to-end tests.
public enum BundledCorpusFixture {
    /// Prepares assets/corpus/default.jsonl.gz with `config` (a path under configs/) into ROOT/data on 2 ranks and
    /// returns that folder; the test fails here when prepare does.
    public static func prepare(config: String, root: String) throws -> String {
        let corpus = MPIRunner.packageRoot + "/assets/corpus/default.jsonl.gz"
        let prep = try MPIRunner.mpirun(2, ["prepare", "--config", MPIRunner.packageRoot + "/" + config, "--set", "data.dir=\(root)/data",
                                            "--set", "data.sources=[\"\(corpus)\"]"], timeout: 300)
        try #require(prep.status == 0, "\(prep.stderr)")
        return root + "/data"
    }
}
