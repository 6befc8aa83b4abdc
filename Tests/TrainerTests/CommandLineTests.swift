import Foundation
import Testing
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
        for part in ["comm", "step", "prepare", "balance", "train"] {
            let r = try MPIRunner.ddtrain(["bench", part, "--help"])
            #expect(r.status == 0 && r.stdout.contains("usage"), "bench \(part) --help: \(r.stderr)")
        }
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
