import Foundation
import Testing
import Kernels
import TestSupport
import TrainerFixtures
@testable import Support
@testable import Trainer

/// Whole training runs (`ddtrain train` on 2 ranks: curriculum, exchange, overlapped gradient sync, clipping,
/// AdamW, evaluation, checkpoints) with `train.threads` 1, 2 and 3: every loss, gradient norm and held-out loss
/// of the run and the final checkpoint's parameters and AdamW moments must be bit-identical, in fp32 and bf16.
/// OpenBLAS gets the same thread count as the pool (`ddtrain train` sets it from train.threads); the fp32
/// Linear products are identical only where they run on the project's own GEMM (kernel level avx512 and up).
@Suite(.serialized) struct ThreadCountTrainingTests {
    /// Everything a run wrote that must not depend on the thread count, as bit patterns.
    func fingerprint(_ run: String) throws -> (trace: [UInt64], checkpoint: [String: [UInt32]]) {
        var trace: [UInt64] = []
        for record in try MetricsLog.read(run + "/metrics.jsonl") {
            switch record["type"]?.stringValue {
            case "train":
                trace += [UInt64(record["step"]!.intValue!), record["loss"]!.doubleValue!.bitPattern,
                          record["grad_norm"]!.doubleValue!.bitPattern]
            case "eval":
                trace += [UInt64(record["step"]!.intValue!), record["loss"]!.doubleValue!.bitPattern]
            default: break
            }
        }
        let latest = try #require(try CheckpointStore(runDirectory: run, keep: 3).list().first)
        let sections = try CheckpointFile.read(path: latest).sections
        return (trace, sections.mapValues { $0.map(\.bitPattern) })
    }

    @Test(arguments: KernelDispatch.gemmBF16 == nil ? ["fp32"] : ["fp32", "bf16"])
    func oneTwoAndThreeThreadsTrainTheSameBits(precision: String) throws {
        if precision == "fp32" && KernelDispatch.level < .avx512 { return }
        var reference: (trace: [UInt64], checkpoint: [String: [UInt32]])? = nil
        for threads in [1, 2, 3] {
            let config = TrainerFixture.config("threads\(threads)-\(precision)",
                                               train: [("threads", .int(threads)), ("precision", .string(precision)),
                                                       ("max_steps", .int(8)), ("checkpoint_every", .int(4)),
                                                       ("eval_every", .int(4))])
            let run = MPIRunner.temporaryDirectory("run-threads") + "/run"
            let result = try MPIRunner.mpirun(2, ["train", "--config", config, "--out", run], timeout: 180)
            try #require(result.status == 0, "\(threads) threads: \(result.stderr)")
            let print = try fingerprint(run)
            #expect(print.trace.count >= 8 * 3 + 2 * 2, "\(precision): the run logged \(print.trace.count) words")
            #expect(print.checkpoint.keys.sorted() == ["adam_m", "adam_v", "params"], "\(print.checkpoint.keys.sorted())")
            guard let reference else { reference = print; continue }
            let firstTrace = zip(print.trace, reference.trace).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            #expect(print.trace.count == reference.trace.count && firstTrace == nil,
                    "\(precision), \(threads) threads: the loss trace differs from 1 thread's at word \(firstTrace ?? -1)")
            for (name, bits) in reference.checkpoint {
                let other = print.checkpoint[name] ?? []
                let first = zip(other, bits).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                #expect(other.count == bits.count && first == nil,
                        "\(precision), \(threads) threads: checkpoint section \(name) differs at float \(first ?? -1)")
            }
        }
    }
}
