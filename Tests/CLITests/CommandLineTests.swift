import Foundation
import Testing
import Kernels
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
        for part in ["comm", "step", "attention", "gemm", "prepare", "balance", "train", "threads"] {
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
        // One row per length and precision: fp32, and bf16 where this CPU has a bf16 kernel.
        let precisions = KernelDispatch.gemmBF16 == nil ? ["fp32"] : ["fp32", "bf16"]
        #expect(stepRows.map { $0["precision"]?.stringValue ?? "" } == precisions.flatMap { [$0, $0] })
        #expect(stepRows.allSatisfy { ($0["ratio_to_sgemm"]?.doubleValue ?? 0) > 0 && $0["kernel"]?.stringValue != nil })
        #expect(stepRows.filter { $0["precision"]?.stringValue == "bf16" }
                    .allSatisfy { ($0["tokens_per_s_ratio_to_fp32"]?.doubleValue ?? 0) > 0 && ($0["ratio_to_bf16_peak"]?.doubleValue ?? 0) > 0 })
        #expect(stepRows.allSatisfy { $0["timed_steps"]?.intValue == 3 }, "fast steps are timed three times by default")
        #expect(s["cpu_model"]?.stringValue == CPUFeatures.current.model && s["kernels"]?["linear_fp32"] != nil)
    }

    /// `bench threads --json`: per precision, length and thread count a row whose ratio to the first thread count
    /// is its tokens/s ÷ that row's (1 exactly for the first) and the shares of its step spent serial and waiting
    /// for workers, and ceiling rows (peak probes, sgemm) per thread count.
    @Test func threadsBenchPrintsJSON() throws {
        let r = try MPIRunner.ddtrain(["bench", "threads", "--threads", "1,2", "--set", "layers=1", "--set", "dim=32",
                                       "--set", "heads=2", "--lengths", "16,64", "--tokens", "64", "--repeat", "1", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try JSONParser.parse(r.stdout)
        let rows = j["models"]?.arrayValue?.first?["rows"]?.arrayValue ?? []
        let precisions = KernelDispatch.gemmBF16 == nil ? ["fp32"] : ["fp32", "bf16"]
        #expect(rows.count == precisions.count * 2 * 2)
        for pair in stride(from: 0, to: rows.count - 1, by: 2) {
            let one = rows[pair], two = rows[pair + 1]
            #expect(one["threads"]?.intValue == 1 && two["threads"]?.intValue == 2 && one["seq_len"] == two["seq_len"])
            #expect(one["ratio_to_first_threads"]?.doubleValue == 1)
            let ratio = (two["tokens_per_s"]?.doubleValue ?? 0) / (one["tokens_per_s"]?.doubleValue ?? 1)
            #expect(abs((two["ratio_to_first_threads"]?.doubleValue ?? 0) - ratio) <= 1e-12 * ratio)
            // One thread runs every job inline: all of its time is serial and none is spent waiting.
            #expect(one["serial_share"]?.doubleValue == 1 && one["tail_wait_share"]?.doubleValue == 0)
            let serial = two["serial_share"]?.doubleValue ?? -1, wait = two["tail_wait_share"]?.doubleValue ?? -1
            #expect(serial >= 0 && wait >= 0 && serial + wait <= 1, "shares of one step: \(serial), \(wait)")
        }
        let ceiling = j["ceiling"]?.arrayValue ?? []
        #expect(ceiling.contains { $0["probe"]?.stringValue == "sgemm-2048" } && ceiling.count >= 2)
        #expect(ceiling.allSatisfy { ($0["flops_per_s"]?.arrayValue ?? []).count == 2 })
        let bad = try MPIRunner.ddtrain(["bench", "threads", "--threads", "0,2"])
        #expect(bad.status == 2 && bad.stderr.contains("--threads"), "\(bad.stderr)")
    }

    /// `bench gemm --json`: a row per kernel the CPU runs and shape, each with the kernel, its precision, positive
    /// FLOP/s and ratios to its peak probe and to sgemm (1 exactly for the sgemm row), and the CPU facts.
    @Test func gemmBenchPrintsJSON() throws {
        let r = try MPIRunner.ddtrain(["bench", "gemm", "--tokens", "64", "--repeat", "1", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try JSONParser.parse(r.stdout)
        let rows = j["rows"]?.arrayValue ?? []
        let kernels = Set(rows.compactMap { $0["kernel"]?.stringValue })
        var want: Set = ["openblas-sgemm", "own-f32-avx2"]
        if KernelDispatch.level >= .avx512 { want.formUnion(["own-f32-avx512", "f32-avx512"]) }
        if KernelDispatch.level >= .avx512bf16 { want.insert("bf16-avx512-bf16") }
        if KernelDispatch.level >= .amx { want.insert("bf16-amx") }
        #expect(kernels == want)
        #expect(rows.count == want.count * 16, "15 Linear products of the small model and 2048³, per kernel")
        for row in rows {
            #expect((row["flops_per_s"]?.doubleValue ?? 0) > 0 && (row["ratio_to_peak"]?.doubleValue ?? 0) > 0)
            #expect(row["precision"]?.stringValue == (row["kernel"]?.stringValue?.hasPrefix("bf16") == true ? "bf16" : "fp32"))
            if row["kernel"]?.stringValue == "openblas-sgemm" { #expect(row["ratio_to_sgemm"]?.doubleValue == 1) }
        }
        #expect(j["cpu_model"]?.stringValue == CPUFeatures.current.model && j["kernel_level"]?.stringValue == KernelDispatch.level.name)
    }

    /// DDTRAIN_KERNELS forces a level at or below the CPU's; above it, or an unknown name, is a one-line error.
    @Test func kernelLevelIsForcedOrRefused() throws {
        let low = try MPIRunner.ddtrain(["env", "--json"], environment: ["DDTRAIN_KERNELS": "avx2"])
        let lowJSON = try JSONParser.parse(low.stdout)
        #expect(low.status == 0 && lowJSON["kernel_level"]?.stringValue == "avx2", "\(low.stderr)")
        for bad in ["sse9", CPUFeatures.current.highestLevel == .amx ? nil : "amx"].compactMap({ $0 }) {
            let r = try MPIRunner.ddtrain(["env"], environment: ["DDTRAIN_KERNELS": bad])
            #expect(r.status != 0 && r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("DDTRAIN_KERNELS"),
                    "DDTRAIN_KERNELS=\(bad): exit \(r.status), \(r.stderr)")
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
