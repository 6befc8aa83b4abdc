import Comm
import Kernels
import Support
import Transformer

/// `train.precision`: a precision, or `auto`.
public enum PrecisionSetting: String, Equatable, CaseIterable {
    case fp32, bf16, auto
}

/// Resolves `train.precision` for a run: `auto` is bf16 where this CPU has a bf16 kernel and that kernel, timed
/// here on a fixed 512 × 1024 × 512 product, beats the fp32 kernel the Linear layers would run instead (the own
/// f32-avx512 GEMM at kernel level ≥ avx512, cblas_sgemm below) by at least `margin`; fp32 otherwise. The shape
/// is the CPU's question, not the model's (a tiny test model would make the answer depend on call overheads), and
/// the margin keeps a noisy machine from flipping it: measured bf16 ÷ f32-avx512 is about 1.5–2 on Zen 5
/// (see docs/kernels.md), 1 or less where the kernel has no advantage. Every rank decides for itself and the job
/// takes bf16 only if all ranks chose it, so the ranks always agree.
enum PrecisionChoice {
    /// How much faster than the fp32 Linear kernel the bf16 kernel must be for `auto` to pick it.
    static let margin = 1.25

    /// The precision to train in and why (for the log).
    static func resolve(_ setting: PrecisionSetting, comm: Communicator) throws -> (Precision, String) {
        switch setting {
        case .fp32: return (.fp32, "train.precision fp32")
        case .bf16: return (.bf16, "train.precision bf16")
        case .auto:
            var reason = "auto: no bf16 kernel at kernel level \(KernelDispatch.level.name)"
            var vote: Int64 = 0
            if let kernel = KernelDispatch.gemmBF16 {
                let (bf16, fp32) = measure(kernel)
                vote = bf16 > margin * fp32 ? 1 : 0
                reason = "auto: bf16-\(kernel.name) \(fixed(bf16 / 1e9, 0)) vs \(KernelDispatch.linearF32) "
                    + "\(fixed(fp32 / 1e9, 0)) GFLOP/s"
            }
            let all = try comm.allreduce(vote, op: .min)
            if vote == 1 && all == 0 { reason += "; another rank chose fp32" }
            return (all == 1 ? .bf16 : .fp32, reason)
        }
    }

    /// FLOP/s of the bf16 kernel and of the fp32 Linear kernel on a 512 × 1024 × 512 product (best of three each;
    /// ~40 ms).
    static func measure(_ kernel: BF16Kernel) -> (bf16: Double, fp32: Double) {
        let shape = GemmShape(name: "probe", m: 512, n: 1024, k: 512, role: .forward)
        let fp32: GemmBenchKernel = KernelDispatch.linearF32Own ? .f32Gemm : .openblas
        return (KernelBench.gemm(shape, kernel: .bf16(kernel)), KernelBench.gemm(shape, kernel: fp32))
    }
}
