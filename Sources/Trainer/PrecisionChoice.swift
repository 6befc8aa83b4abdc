import Comm
import Kernels
import Support
import Transformer

/// `train.precision`: a precision, or `auto`.
public enum PrecisionSetting: String, Equatable, CaseIterable {
    case fp32, bf16, auto
}

/// Resolves `train.precision` for a run: `auto` is bf16 where this CPU has a bf16 kernel and that kernel, timed
/// here on the model's widest Linear, beats cblas_sgemm on the same product; fp32 otherwise. Every rank decides
/// for itself and the job takes bf16 only if all ranks chose it, so the ranks always agree.
enum PrecisionChoice {
    /// The precision to train in and why (for the log).
    static func resolve(_ setting: PrecisionSetting, model: ModelConfig, comm: Communicator) throws -> (Precision, String) {
        switch setting {
        case .fp32: return (.fp32, "train.precision fp32")
        case .bf16: return (.bf16, "train.precision bf16")
        case .auto:
            var reason = "auto: no bf16 kernel at kernel level \(KernelDispatch.level.name)"
            var vote: Int64 = 0
            if let kernel = KernelDispatch.gemmBF16 {
                let (bf16, fp32) = measure(kernel, model: model)
                vote = bf16 > fp32 ? 1 : 0
                reason = "auto: bf16-\(kernel.name) \(fixed(bf16 / 1e9, 0)) vs sgemm \(fixed(fp32 / 1e9, 0)) GFLOP/s"
            }
            let all = try comm.allreduce(vote, op: .min)
            if vote == 1 && all == 0 { reason += "; another rank chose fp32" }
            return (all == 1 ? .bf16 : .fp32, reason)
        }
    }

    /// FLOP/s of the bf16 kernel and of cblas_sgemm on the MLP's up projection over 512 tokens (best of three each;
    /// about 20 ms on a small model).
    static func measure(_ kernel: BF16Kernel, model c: ModelConfig) -> (bf16: Double, fp32: Double) {
        let shape = GemmShape(name: "mlp_up", m: 512, n: c.mlp == .swiglu ? 2 * c.hidden : c.hidden, k: c.dim, role: .forward)
        return (KernelBench.gemm(shape, kernel: .bf16(kernel)), KernelBench.gemm(shape, kernel: .openblas))
    }
}
