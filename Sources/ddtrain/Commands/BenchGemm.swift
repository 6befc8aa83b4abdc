import Kernels
import Support
import Transformer

/// `ddtrain bench gemm`: every matrix-product kernel this CPU runs, on the model's shapes and on 2048³, as GFLOP/s
/// and as a ratio to the register-resident peak probe of its instruction and to cblas_sgemm, all timed in one run.
let benchGemmPart = Subcommand(
    name: "gemm", summary: "GFLOP/s of every matrix-product kernel on the model's shapes, as ratios to peak probes",
    help: """
    usage: ddtrain bench gemm [options]

    Times each kernel available on this CPU — OpenBLAS cblas_sgemm (fp32), the project's fp32 micro-kernel
    (avx2, avx512) alone and under the fp32 GEMM driver the Linear layers run on (f32-avx512), bf16 on
    AVX512-BF16 (VDPBF16PS) and on AMX (TDPBF16PS) — on the three products of every Linear of the model (forward
    y = x·Wᵀ, input gradient dx = dy·W, weight gradient dW = dyᵀ·x: QKV, O, MLP up, MLP down, LM head) and on
    2048³. bf16 weights are packed once outside the timing (as once per step in training), the weight gradient's
    activations inside it; f32-avx512 reads each product's operands in the model's layout and packs them inside
    the timing, as it does in training. Each row prints GFLOP/s (thread CPU time, best of
    --repeat), the ratio to the register-resident peak probe of the kernel's instruction measured in this run,
    and the ratio to cblas_sgemm on the same shape. Kernels of levels above DDTRAIN_KERNELS are left out.

    options:
      --models LIST   small (6 × 384, vocab 257) and/or gpt2 (12 × 768, vocab 50257) [small]
      --tokens N      tokens of the Linear products [8192]
      --repeat N      timed calls per kernel and shape; the fastest counts [3]
      --json          print one JSON object instead of the table
    """,
    options: ["models": true, "tokens": true, "repeat": true, "json": false]
) { args in
    let cmd = "bench gemm"
    let tokens = try args.int("tokens", default: 8192, command: cmd), repeats = try args.int("repeat", default: 3, command: cmd)
    guard tokens >= 1, repeats >= 1 else { throw DDError.usage("ddtrain \(cmd): --tokens and --repeat must be positive") }
    let json = args.flag("json")
    Matmul.setThreads(1)
    let level = KernelDispatch.level
    var kernels: [GemmBenchKernel] = [.openblas, .ownF32(.avx2)]
    if level >= .avx512 { kernels += [.ownF32(.avx512), .f32Gemm] }
    if level >= .avx512bf16 { kernels.append(.bf16(.avx512)) }
    if level >= .amx { kernels.append(.bf16(.amx)) }
    var peaks: [PeakProbe: Double] = [:]
    for probe in Set(kernels.map(\.probe)) { peaks[probe] = KernelBench.peak(probe) }
    if !json {
        print("CPU \(CPUFeatures.current.model); kernel level \(level.name); peak probes (GFLOP/s, one thread): "
              + peaks.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \(fixed($0.value / 1e9, 0))" }
                  .joined(separator: ", "))
        print("shape".padded(24) + "m".leftPadded(7) + "n".leftPadded(7) + "k".leftPadded(7) + "  " + "kernel".padded(20)
              + "GFLOP/s".leftPadded(9) + "÷peak".leftPadded(7) + "÷sgemm".leftPadded(8))
    }
    var shapes: [GemmShape] = []
    for name in (args.value("models") ?? "small").split(separator: ",").map(String.init) {
        shapes += try linearShapes(model: name, tokens: tokens)
    }
    shapes.append(GemmShape(name: "2048³", m: 2048, n: 2048, k: 2048, role: .square))
    var rows: [JSON] = []
    for shape in shapes {
        var sgemm = 0.0
        for kernel in kernels {
            let rate = KernelBench.gemm(shape, kernel: kernel, repeats: repeats)
            if case .openblas = kernel { sgemm = rate }
            let peak = peaks[kernel.probe]!
            rows.append(.obj([
                "shape": .string(shape.name), "role": .string(shape.role.rawValue), "m": .int(shape.m), "n": .int(shape.n),
                "k": .int(shape.k), "kernel": .string(kernel.name), "precision": .string(kernel.precision),
                "flops_per_s": .number(rate), "peak_probe": .string(kernel.probe.rawValue), "peak_flops_per_s": .number(peak),
                "ratio_to_peak": .number(rate / peak), "ratio_to_sgemm": .number(rate / sgemm),
            ]))
            if !json {
                print("\(shape.name) \(shape.role.rawValue)".padded(24) + String(shape.m).leftPadded(7) + String(shape.n).leftPadded(7)
                      + String(shape.k).leftPadded(7) + "  " + kernel.name.padded(20) + fixed(rate / 1e9, 1).leftPadded(9)
                      + fixed(rate / peak, 2).leftPadded(7) + fixed(rate / sgemm, 2).leftPadded(8))
            }
        }
    }
    if json {
        let peakJSON = JSON.object(peaks.sorted { $0.key.rawValue < $1.key.rawValue }.map { ($0.key.rawValue, JSON.number($0.value)) })
        printBenchJSON(JSON.object([("tokens", .int(tokens)), ("peak_flops_per_s", peakJSON),
                                    ("rows", .array(rows))]))
    }
    return 0
}

/// The Linear products of a benchmark model: QKV, O, MLP up, MLP down over `tokens`, and the LM head over one
/// head chunk (as the model runs it).
private func linearShapes(model name: String, tokens: Int) throws -> [GemmShape] {
    let config = try benchModelConfig(name, overrides: [], command: "bench gemm")
    let C = config.dim, F = config.hidden, V = config.vocab
    let up = config.mlp == .swiglu ? 2 * F : F
    let chunk = min(tokens, max(512, (8 << 20) / V))
    return GemmShape.linear("\(name) qkv", inFeatures: C, outFeatures: 3 * C, tokens: tokens)
        + GemmShape.linear("\(name) o", inFeatures: C, outFeatures: C, tokens: tokens)
        + GemmShape.linear("\(name) mlp_up", inFeatures: C, outFeatures: up, tokens: tokens)
        + GemmShape.linear("\(name) mlp_down", inFeatures: F, outFeatures: C, tokens: tokens)
        + GemmShape.linear("\(name) lm_head", inFeatures: C, outFeatures: V, tokens: chunk)
}
