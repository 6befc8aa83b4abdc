import Foundation
import Testing
import Kernels
import TestSupport
import TrainerFixtures
@testable import Support

/// N ranks must produce the gradient 1 rank produces on the same global step (method.md §7).
///
/// Each case computes step S's summed, token-normalised gradient under mpirun with 1, 2 and 3 ranks and
/// compares: max |g_N − g_1| ≤ 1e-4 · max |g_1| + 1e-7 (Float sums in a different order differ in the last
/// bits; a wrong normalisation or a lost contribution is off by whole percents). The 3-rank case of the
/// single-bucket config has 2 sequences per step, so one rank has none and contributes zeros. The small-buckets case
/// cuts the gradient into buckets of 2,621 floats, so several travel per ready range.
@Suite(.serialized) struct GradientAgreementTests {
    static let cases: [(String, [(String, JSON)], Int)] = [
        ("mixed-buckets", [], 0),
        ("small-buckets", [], 0),
        ("mixed-buckets", [], 5),
        ("one-bucket-empty-rank", [("buckets", .ints([8])), ("tokens_per_step", .int(512))], 1),
        ("concat-masked", [("batching", .string("concat_masked")), ("context_length", .int(128)), ("tokens_per_step", .int(512))], 2),
        ("packed", [("batching", .string("packed")), ("context_length", .int(128)), ("tokens_per_step", .int(512))], 3),
        ("mixed", [("batching", .string("mixed"))], 4),
    ]

    /// Both precisions where the CPU has a bf16 kernel: in bf16 every rank rounds the same tokens' operands the
    /// same way, so only the summation order differs, as in fp32.
    static let precisions = KernelDispatch.gemmBF16 == nil ? ["fp32"] : ["fp32", "bf16"]

    @Test(arguments: 0..<cases.count, precisions)
    func gradientsAgree(caseIndex: Int, precision: String) throws {
        let (name, curriculum, step) = Self.cases[caseIndex]
        let config = TrainerFixture.config(name, curriculum: curriculum)
        var gradients: [Int: [Float]] = [:]
        var losses: [Int: Double] = [:]
        for ranks in [1, 2, 3] {
            let out = MPIRunner.temporaryDirectory("grad")
            let res = try MPIRunner.mpirun(ranks, ["selftest", "gradient", "--config", config, "--set", "train.precision=\(precision)",
                                                     "--set", "train.grad_bucket_mb=\(name == "small-buckets" ? 0.01 : 8)",
                                                     "--step", String(step), "--out", out], timeout: 120)
            try #require(res.status == 0, "ranks \(ranks): \(res.stderr)")
            gradients[ranks] = try TrainerFixture.floats(out + "/gradient.f32")
            losses[ranks] = try FileIO.readJSON(out + "/gradient.json")["loss"]?.doubleValue
        }
        let g1 = gradients[1]!
        let scale = g1.map { abs($0) }.max()!
        #expect(scale > 0, "the gradient is zero: nothing was learned from")
        for ranks in [2, 3] {
            let gN = gradients[ranks]!
            try #require(gN.count == g1.count)
            let diff = zip(gN, g1).map { abs($0 - $1) }.max()!
            #expect(diff <= 1e-4 * scale + 1e-7, "\(name) \(precision) step \(step): \(ranks) ranks differ from 1 rank by \(diff) (scale \(scale))")
            #expect(abs(losses[ranks]! - losses[1]!) <= 1e-5 * abs(losses[1]!), "loss \(losses[ranks]!) vs \(losses[1]!)")
        }
    }
}
