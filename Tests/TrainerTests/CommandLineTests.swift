import Foundation
import Testing
import Support
import TestSupport

/// The command line's contract: every subcommand has help, usage mistakes exit with code 2 and one line.
@Suite struct CommandLineTests {
    static let commands = ["prepare", "inspect", "train", "eval", "plan", "calibrate", "sweep", "report", "export",
                           "sample", "bench", "env", "selftest"]

    @Test func everySubcommandHasHelp() throws {
        let top = try MPIRunner.ddtrain(["--help"])
        #expect(top.status == 0)
        for c in Self.commands {
            #expect(top.stdout.contains("  \(c) "), "ddtrain --help does not list \(c)")
            let r = try MPIRunner.ddtrain([c, "--help"])
            #expect(r.status == 0, "\(c) --help failed: \(r.stderr)")
            #expect(r.stdout.contains(c), "\(c) --help does not describe it")
        }
        for part in ["comm", "step", "attention", "prepare", "balance", "train"] {
            let r = try MPIRunner.ddtrain(["bench", part, "--help"])
            #expect(r.status == 0 && r.stdout.contains("usage"), "bench \(part) --help: \(r.stderr)")
        }
    }

    /// `bench attention --json` and `bench step --json` on tiny shapes print one object whose figures are
    /// positive and consistent (credited ratio = executed ratio · 6/7, as the backward recomputes QKᵀ); no
    /// timing threshold, the machine is shared.
    @Test func kernelBenchesPrintJSON() throws {
        let attention = try MPIRunner.ddtrain(["bench", "attention", "--lengths", "40,96", "--tokens", "192", "--heads", "2",
                                               "--head-dim", "16", "--tile", "32", "--key-tile", "48", "--repeat", "1", "--json"])
        #expect(attention.status == 0, "\(attention.stderr)")
        let a = try JSONParser.parse(attention.stdout)
        let rows = a["rows"]?.arrayValue ?? []
        #expect(rows.map { $0["seq_len"]?.intValue } == [40, 96] && rows.map { $0["seqs"]?.intValue } == [4, 2])
        for row in rows {
            let executed = row["ratio_to_sgemm_executed"]?.doubleValue ?? 0, credited = row["ratio_to_sgemm_credited"]?.doubleValue ?? 0
            #expect(executed > 0 && abs(credited - executed * 6 / 7) < 1e-9 * executed)
        }
        let step = try MPIRunner.ddtrain(["bench", "step", "--models", "small", "--set", "layers=1", "--set", "dim=32", "--set", "heads=2",
                                          "--lengths", "16,64", "--tokens", "64", "--skip-memory", "--json"])
        #expect(step.status == 0, "\(step.stderr)")
        let s = try JSONParser.parse(step.stdout)
        let stepRows = s["models"]?.arrayValue?.first?["rows"]?.arrayValue ?? []
        #expect(stepRows.count == 2 && stepRows.allSatisfy { ($0["ratio_to_sgemm"]?.doubleValue ?? 0) > 0 })
        #expect(stepRows.allSatisfy { $0["timed_steps"]?.intValue == 3 }, "fast steps are timed three times by default")
    }

    @Test(arguments: [["frobnicate"], ["train", "--no-such-flag"], ["env", "--json=1"], ["bench", "nothing"], ["train", "--config"],
                      ["bench", "comm", "--sizes-mb", "x"]])
    func usageMistakesExitWithCode2(_ argv: [String]) throws {
        let r = try MPIRunner.ddtrain(argv)
        #expect(r.status == 2, "\(argv): exit \(r.status), stderr \(r.stderr)")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(argv): expected one line, got \(r.stderr)")
        #expect(r.stderr.hasPrefix("ddtrain"))
    }
}
