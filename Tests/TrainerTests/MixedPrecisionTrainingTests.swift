import Foundation
import Testing
import Kernels
import TestSupport
import TrainerFixtures
@testable import Support
@testable import Trainer

/// A bf16 run against the fp32 run of the same plan on the bundled corpus (2 ranks, the smoke model over 131,072
/// tokens): the held-out loss after training must agree within 2% (bf16 perturbs every product by ~2⁻⁸ relative,
/// which changes the trajectory slightly but not where training gets), both runs must have learned (their loss
/// well below ln 257), and each run's summary must name the precision it ran in.
@Suite(.serialized, .enabled(if: KernelDispatch.gemmBF16 != nil, "no bf16 kernel on this CPU: it lacks avx512_bf16 and amx_bf16"))
struct MixedPrecisionTrainingTests {
    @Test func bf16EndsWithinTwoPercentOfFP32() throws {
        let root = MPIRunner.temporaryDirectory("precision")
        let config = MPIRunner.packageRoot + "/configs/smoke.json"
        let data = try BundledCorpusFixture.prepare(config: "configs/smoke.json", root: root)
        var finalLoss: [String: Double] = [:]
        for precision in ["fp32", "bf16"] {
            let run = root + "/" + precision
            let r = try MPIRunner.mpirun(2, ["train", "--config", config, "--set", "data.dir=\(data)", "--out", run,
                                             "--set", "curriculum.total_tokens=131072", "--set", "train.precision=\(precision)"],
                                         timeout: 600)
            try #require(r.status == 0, "\(precision): \(r.stderr)")
            let summary = try FileIO.readJSON(run + "/summary.json")
            #expect(summary["precision"]?.stringValue == precision)
            finalLoss[precision] = try #require(summary["final_eval"]?["loss"]?.doubleValue)
        }
        let fp32 = finalLoss["fp32"]!, bf16 = finalLoss["bf16"]!
        #expect(fp32 < 0.75 * log(257.0) && bf16 < 0.75 * log(257.0), "fp32 \(fp32), bf16 \(bf16): a run did not learn")
        #expect(abs(bf16 - fp32) <= 0.02 * fp32, "held-out loss bf16 \(bf16) vs fp32 \(fp32)")
    }
}
