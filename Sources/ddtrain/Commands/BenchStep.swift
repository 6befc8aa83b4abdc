import Kernels
import Support
import Transformer
#if canImport(Glibc)
import Glibc
#endif

/// `ddtrain bench step`: training-step throughput of the model at several sequence lengths with a fixed token
/// count per step, as a ratio to single-thread sgemm measured in the same run, plus the peak-memory comparison of
/// one 8,192-token sequence against eight 1,024-token sequences.
let benchStepPart = Subcommand(
    name: "step", summary: "forward+backward throughput per sequence length, as a ratio to sgemm in the same run",
    help: """
    usage: ddtrain bench step [options]

    Times forward+backward of the model on steps of --tokens tokens split into sequences of each length
    (128×64 … 2×4096 by default) and prints tokens/s, model FLOP/s (every matmul 2·m·n·k, causal attention,
    backward = 2× forward), the ratio to single-thread cblas_sgemm FLOP/s timed in the same run right before
    each timed step (best against best; by wall clock and by thread CPU time — meaningful with --threads 1),
    the estimated share of the step spent in attention, and peak RSS. Then compares peak memory of one
    8,192-token sequence with eight 1,024-token sequences.

    options:
      --models LIST     small (6 layers, 384 wide, 6 heads, vocab 257) and/or gpt2 (12, 768, 12, vocab 50257)
                        [small,gpt2; gpt2 takes ~1 min a step on one core, --models small is the quick run]
      --precision LIST  fp32 and/or bf16 [both where the CPU has a bf16 kernel, else fp32]; bf16 rows also
                        print the ratio to the bf16 peak probe and tokens/s ÷ the fp32 row's
      --set KEY=VALUE   override a model key for every model (e.g. --set qk_norm=true, --set model.mlp=gelu); repeatable
      --lengths LIST    sequence lengths [64,256,1024,4096]
      --tokens N        tokens per step [8192]
      --seq-len L       time only sequences of length L (with --seqs N: N of them, tokens = L·N)
      --seqs N          sequences per step with --seq-len
      --threads N       threads per rank: the worker pool and OpenBLAS [1]
      --repeat N        timed steps per length after one warm-up step, the fastest counts; fewer once the length
                        has taken 60 s (so GPT-2 shapes time one step, the small model three) [3]
      --skip-memory     leave out the 1×8192 vs 8×1024 memory comparison
      --json            print one JSON object instead of the table
    """,
    options: ["models": true, "precision": true, "set": true, "lengths": true, "tokens": true, "seq-len": true, "seqs": true,
              "threads": true, "repeat": true, "skip-memory": false, "json": false]
) { args in
    let cmd = "bench step"
    let threads = try args.int("threads", default: 1, command: cmd)
    let repeats = try args.int("repeat", default: 3, command: cmd)
    var tokens = try args.int("tokens", default: 8192, command: cmd)
    var lengths = try args.intList("lengths", default: [64, 256, 1024, 4096], command: cmd)
    if let l = args.value("seq-len") {
        guard let len = Int(l), len > 0 else { throw DDError.usage("ddtrain \(cmd): --seq-len expects a positive integer, got '\(l)'") }
        lengths = [len]
        if args.value("seqs") != nil { tokens = len * (try args.int("seqs", default: 1, command: cmd)) }
    } else if args.value("seqs") != nil {
        throw DDError.usage("ddtrain \(cmd): --seqs needs --seq-len (or use --tokens and --lengths)")
    }
    guard threads >= 1, repeats >= 1, tokens >= 1, lengths.allSatisfy({ $0 >= 1 }) else {
        throw DDError.usage("ddtrain \(cmd): --threads, --repeat, --tokens and every length must be positive")
    }
    if let bad = lengths.first(where: { $0 > tokens }) {
        throw DDError.usage("ddtrain \(cmd): length \(bad) exceeds --tokens \(tokens) (fix: raise --tokens or drop the length)")
    }
    let models = (args.value("models") ?? "small,gpt2").split(separator: ",").map(String.init)
    let json = args.flag("json")
    let precisions = try benchPrecisions(args.value("precision"), command: cmd)
    Matmul.setThreads(threads)
    // The project's own kernels run on a pool of the same size (OpenBLAS runs between its jobs, never during one).
    let pool = WorkerPool(threads: threads, pin: true)
    // The bf16 instruction's register-resident peak, measured once (for the bf16 rows' second ratio).
    let bf16Peak: Double? = precisions.contains(.bf16)
        ? KernelBench.peak(KernelDispatch.gemmBF16 == .amx ? .tdpbf16AMX : .dpbf16AVX512) : nil

    // sgemm is timed again right before each row: on a shared machine the load changes during the run, and the
    // thread-CPU-time ratio (less sensitive to being descheduled) is reported next to the wall-clock one.
    let first = measureSgemm()
    var report: [(String, JSON)] = [("threads", .int(threads)), ("sgemm_flops_per_s", .number(first.wall)),
                                    ("sgemm_cpu_flops_per_s", .number(first.cpu)), ("tokens_per_step", .int(tokens))]
    if !json {
        print("sgemm 2048³, \(threads) thread(s): \(fixed(first.wall / 1e9, 1)) GFLOP/s wall, \(fixed(first.cpu / 1e9, 1)) per CPU-second")
    }
    var modelReports: [JSON] = []
    for name in models {
        let config = try benchModelConfig(name, overrides: args.all("set"))
        let model = try Model(config: config, maxTokens: tokens, seed: 1, pool: pool)
        var rows: [JSON] = []
        var fp32TokensPerSecond: [Int: Double] = [:]
        for precision in precisions {
            try model.setPrecision(precision)
            if !json {
                print("\nmodel \(name), \(precision.rawValue) (\(stepKernel(precision))): \(config.layers) layers, dim \(config.dim), "
                      + "\(config.heads) heads, vocab \(config.vocab), \(config.mlp.rawValue), \(model.layout.count) parameters, "
                      + "arena+params \(humanBytes(model.allocatedBytes))")
                print("seq_len".leftPadded(8) + "seqs".leftPadded(6) + "step s".leftPadded(9) + "tokens/s".leftPadded(11) +
                      "GFLOP/s".leftPadded(9) + "sgemm".leftPadded(8) + "ratio".leftPadded(7) + "ratio(cpu)".leftPadded(11) +
                      (precision == .bf16 ? "÷bf16pk".leftPadded(8) + "÷fp32".leftPadded(7) : "") +
                      "attn%".leftPadded(7) + "peak RSS".leftPadded(11))
            }
            for len in lengths {
                let seqs = tokens / len
                let batch = benchBatch(sequences: seqs, length: len, vocab: config.vocab, seed: UInt64(len))
                let started = monotonicSeconds()
                _ = try model.forwardBackward(batch, zLoss: 1e-4)
                var sgemm = (wall: 0.0, cpu: 0.0)
                var best = Double.infinity, bestCPU = Double.infinity, timed = 0
                // Best of up to `repeats` steps (a shared machine only ever slows a step down), capped at 60 s a length,
                // against the best of the sgemm timings taken right before each of them: both sides see the same
                // conditions (the clock of a shared core drifts by several percent within a minute).
                while timed < repeats && (timed == 0 || monotonicSeconds() - started < 60) {
                    let reference = measureSgemm()
                    sgemm = (max(sgemm.wall, reference.wall), max(sgemm.cpu, reference.cpu))
                    let t0 = monotonicSeconds(), c0 = KernelBench.threadSeconds()
                    _ = try model.forwardBackward(batch, zLoss: 1e-4)
                    best = min(best, monotonicSeconds() - t0)
                    bestCPU = min(bestCPU, KernelBench.threadSeconds() - c0)
                    timed += 1
                }
                let work = model.trainingFLOPs(segmentLengths: batch.segmentLengths)
                let flops = work / best, ratio = flops / sgemm.wall, ratioCPU = work / bestCPU / sgemm.cpu
                // Share of the step spent in attention: the kernel timed alone on one sequence of this length, times
                // the sequences and layers of a step (an estimate that tells attention apart from the matmuls).
                let attn = try KernelBench.attention(seqLen: len, heads: config.heads, headDim: config.headDim, repeats: 1)
                let attnShare = min(1, attn * Double(seqs * config.layers) / bestCPU)
                let rss = peakResidentBytes()
                let tokensPerSecond = Double(batch.count) / best
                if precision == .fp32 { fp32TokensPerSecond[len] = tokensPerSecond }
                let speedup = fp32TokensPerSecond[len].map { tokensPerSecond / $0 }
                var row: [(String, JSON)] = [
                    ("precision", .string(precision.rawValue)), ("kernel", .string(stepKernel(precision))),
                    ("seq_len", .int(len)), ("seqs", .int(seqs)), ("tokens", .int(batch.count)), ("step_s", .number(best)),
                    ("step_cpu_s", .number(bestCPU)), ("timed_steps", .int(timed)), ("tokens_per_s", .number(tokensPerSecond)),
                    ("flops_per_s", .number(flops)), ("sgemm_flops_per_s", .number(sgemm.wall)), ("ratio_to_sgemm", .number(ratio)),
                    ("ratio_to_sgemm_cpu", .number(ratioCPU)), ("attention_share", .number(attnShare)), ("peak_rss_bytes", .int(rss)),
                ]
                if let bf16Peak { row.append(("ratio_to_bf16_peak", .number(flops / bf16Peak))) }
                if precision != .fp32, let speedup { row.append(("tokens_per_s_ratio_to_fp32", .number(speedup))) }
                rows.append(.object(row))
                if !json {
                    print(String(len).leftPadded(8) + String(seqs).leftPadded(6) + fixed(best, 3).leftPadded(9) +
                          fixed(tokensPerSecond, 0).leftPadded(11) + fixed(flops / 1e9, 1).leftPadded(9) +
                          fixed(sgemm.wall / 1e9, 1).leftPadded(8) + fixed(ratio, 2).leftPadded(7) + fixed(ratioCPU, 2).leftPadded(11) +
                          (precision == .bf16 ? fixed(flops / (bf16Peak ?? .nan), 2).leftPadded(8)
                            + (speedup.map { fixed($0, 2) } ?? "-").leftPadded(7) : "") +
                          fixed(100 * attnShare, 0).leftPadded(7) + humanBytes(rss).leftPadded(11))
                }
            }
        }
        modelReports.append(.obj(["name": .string(name), "config": config.toJSON(), "parameters": .int(model.layout.count),
                                  "allocated_bytes": .int(model.allocatedBytes), "rows": .array(rows)]))
    }
    report.append(("models", .array(modelReports)))
    if args.flag("skip-memory") {
        if json { printBenchJSON(JSON.object(report)) }
        return 0
    }
    // "memory" is the first precision's comparison, "memory_bf16" the bf16 one's when both run.
    for precision in precisions {
        let memory = try memoryComparison(config: try benchModelConfig(models.first ?? "small", overrides: args.all("set")),
                                          precision: precision)
        report.append((precision == precisions[0] ? "memory" : "memory_\(precision.rawValue)", memory))
        if !json {
            let one = memory["one_8192_peak_rss_bytes"]!.intValue!, eight = memory["eight_1024_peak_rss_bytes"]!.intValue!
            print("\npeak RSS of a step (\(models.first ?? "small"), \(precision.rawValue)): 1×8192 \(humanBytes(one)), " +
                  "8×1024 \(humanBytes(eight)), ratio \(fixed(memory["ratio"]!.doubleValue!, 3))")
        }
    }
    if json { printBenchJSON(JSON.object(report)) }
    return 0
}

/// The named benchmark model with `--set` overrides (keys with or without the "model." prefix).
func benchModelConfig(_ name: String, overrides: [String], command: String = "bench step") throws -> ModelConfig {
    var base: JSON
    switch name {
    case "small": base = .obj(["layers": .int(6), "dim": .int(384), "heads": .int(6), "vocab": .int(257)])
    case "gpt2": base = .obj(["layers": .int(12), "dim": .int(768), "heads": .int(12), "vocab": .int(50257)])
    default: throw DDError.usage("ddtrain \(command): unknown model '\(name)' in --models (use small, gpt2)")
    }
    let assignments = overrides.map { $0.hasPrefix("model.") ? String($0.dropFirst(6)) : $0 }
    base = try ConfigOverrides.apply(assignments, to: base)
    return try ModelConfig.parse(ConfigReader(base, path: "model"))
}

/// `sequences` random sequences of `length` tokens, each with a target per token.
func benchBatch(sequences: Int, length: Int, vocab: Int, seed: UInt64) -> PackedBatch {
    var rng = Xoshiro256(seed: seed)
    var seqs: [(tokens: [Int32], targets: [Int32])] = []
    for _ in 0..<sequences {
        let ids = (0...length).map { _ in Int32(rng.nextInt(below: vocab)) }
        seqs.append((Array(ids.dropLast()), Array(ids.dropFirst())))
    }
    return PackedBatch(sequences: seqs)
}

/// FLOP/s of a 2048×2048×2048 cblas_sgemm (about 17 GFLOP), best of three, by wall clock and by thread CPU time.
func measureSgemm() -> (wall: Double, cpu: Double) {
    let n = 2048
    let a = UnsafeMutablePointer<Float>.allocate(capacity: n * n), b = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
    let c = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
    defer { a.deallocate(); b.deallocate(); c.deallocate() }
    var rng = Xoshiro256(seed: 1)
    for i in 0..<(n * n) { a[i] = Float(rng.nextDouble() - 0.5); b[i] = Float(rng.nextDouble() - 0.5) }
    var best = Double.infinity, bestCPU = Double.infinity
    for _ in 0..<3 {
        let t0 = monotonicSeconds(), c0 = KernelBench.threadSeconds()
        Matmul.gemm(m: n, n: n, k: n, a: a, lda: n, b: b, ldb: n, c: c, ldc: n)
        best = min(best, monotonicSeconds() - t0)
        bestCPU = min(bestCPU, KernelBench.threadSeconds() - c0)
    }
    let work = 2 * Double(n * n * n)
    return (work / best, work / bestCPU)
}

/// Peak RSS during a step of one 8,192-token sequence and of eight 1,024-token sequences (the kernel's peak counter
/// is reset between them through /proc/self/clear_refs), with a model built for 8,192 tokens.
private func memoryComparison(config: ModelConfig, precision: Precision) throws -> JSON {
    let model = try Model(config: config, maxTokens: 8192, seed: 1)
    try model.setPrecision(precision)
    func peak(_ batch: PackedBatch) throws -> Int {
        resetPeakResident()
        _ = try model.forwardBackward(batch, zLoss: 0)
        return peakResidentBytes()
    }
    let eight = try peak(benchBatch(sequences: 8, length: 1024, vocab: config.vocab, seed: 2))
    let one = try peak(benchBatch(sequences: 1, length: 8192, vocab: config.vocab, seed: 3))
    return .obj(["precision": .string(precision.rawValue), "one_8192_peak_rss_bytes": .int(one), "eight_1024_peak_rss_bytes": .int(eight),
                 "ratio": .number(Double(one) / Double(max(1, eight)))])
}

/// Resets VmHWM to the current RSS (Linux: writing 5 to /proc/self/clear_refs); a no-op where unsupported.
private func resetPeakResident() {
    guard let f = fopen("/proc/self/clear_refs", "w") else { return }
    fputs("5", f)
    fclose(f)
}

/// The precisions `bench step` runs: --precision as given, or both where this CPU has a bf16 kernel.
func benchPrecisions(_ value: String?, command: String) throws -> [Precision] {
    guard let value else { return KernelDispatch.gemmBF16 == nil ? [.fp32] : [.fp32, .bf16] }
    return try value.split(separator: ",").map { name in
        guard let p = Precision(rawValue: String(name)) else {
            throw DDError.usage("ddtrain \(command): --precision takes fp32 and/or bf16, got '\(name)'")
        }
        if p == .bf16 && KernelDispatch.gemmBF16 == nil {
            throw DDError.usage("ddtrain \(command): --precision bf16 needs AVX512-BF16 or AMX on this CPU "
                + "(\(CPUFeatures.current.model): \(CPUFeatures.current.names.joined(separator: " "))); use fp32")
        }
        return p
    }
}

/// The kernels a step runs in this precision: the Linear products' and attention's.
func stepKernel(_ precision: Precision) -> String {
    if precision == .bf16 {
        return "linear bf16-\(KernelDispatch.gemmBF16!.name), attention \(KernelDispatch.attentionBF16!)"
    }
    return "linear \(KernelDispatch.linearF32), attention \(KernelDispatch.attentionF32)"
}
