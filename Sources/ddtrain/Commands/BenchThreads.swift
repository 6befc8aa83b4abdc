import Kernels
import Support
import Transformer

/// `ddtrain bench threads`: training-step tokens/s of one rank on T threads ÷ 1 thread per sequence length and
/// precision, next to the machine's own ceiling (peak probes and sgemm on T threads ÷ 1), all in one run.
let benchThreadsPart = Subcommand(
    name: "threads", summary: "tokens/s on T threads ÷ 1 thread per length and precision, with the machine's ceiling",
    help: """
    usage: ddtrain bench threads [--threads 1,2] [--models small] [--precision fp32,bf16] [--set KEY=VALUE]
                                 [--lengths LIST] [--tokens N] [--repeat N] [--json]

    One rank, one model per thread count (each with its own worker pool of T threads, pinned to the first T cores
    of the process's mask; OpenBLAS set to T threads before each of its steps). Every length times the thread
    counts in turn, --repeat rounds after a warm-up step (a round steps every length once, so a busy spell on the
    machine costs one round of each length, not every round of one), the fastest step of each counts, so all
    thread counts see the same conditions. The ceiling rows run the instruction peak probes and a 2048³ sgemm on
    T threads: a kernel cannot scale better than the cores it runs on (two vCPUs that share a physical core, a busy
    neighbour, a thermal or power limit all show up there first). For the last thread count the table also shows
    where a step's time went besides work: "serial" outside the pool's jobs, "T-wait" the submitting thread
    waiting at the end of jobs for the other workers. Target: ≥ 1.8 at 2 threads, every length.

    options:
      --threads LIST    thread counts, the first is the reference [1,2]
      --models LIST     small and/or gpt2, as in bench step [small]
      --precision LIST  fp32 and/or bf16 [both where the CPU has a bf16 kernel]
      --set KEY=VALUE   override a model key, as in bench step; repeatable
      --lengths LIST    sequence lengths [64,256,1024,4096]
      --tokens N        tokens per step [8192]
      --repeat N        timed rounds per length [5]
      --json            print one JSON object instead of the table
    """,
    options: ["threads": true, "models": true, "precision": true, "set": true, "lengths": true, "tokens": true, "repeat": true, "json": false]
) { args in
    let cmd = "bench threads"
    let counts = try args.intList("threads", default: [1, 2], command: cmd)
    let lengths = try args.intList("lengths", default: [64, 256, 1024, 4096], command: cmd)
    let tokens = try args.int("tokens", default: 8192, command: cmd)
    let repeats = try args.int("repeat", default: 5, command: cmd)
    guard !counts.isEmpty, counts.allSatisfy({ $0 >= 1 && $0 <= 256 }) else {
        throw DDError.usage("ddtrain \(cmd): --threads expects thread counts 1…256 like 1,2,4")
    }
    guard repeats >= 1, tokens >= 1, lengths.allSatisfy({ $0 >= 1 && $0 <= tokens }) else {
        throw DDError.usage("ddtrain \(cmd): --repeat and --tokens must be positive and every length at most --tokens")
    }
    let precisions = try benchPrecisions(args.value("precision"), command: cmd)
    let json = args.flag("json")
    let pools = counts.map { WorkerPool(threads: $0, pin: true) }

    let ceiling = threadCeiling(pools: pools, precisions: precisions)
    if !json {
        print("bench threads: one rank, threads \(counts.map(String.init).joined(separator: ", ")); ratios ÷ \(counts[0]) thread(s)")
        print("\nceiling (the machine on T threads)")
        print("probe".padded(18) + counts.map { "T=\($0)".leftPadded(11) }.joined() + "   ratio")
        for row in ceiling { print(ceilingLine(row, counts: counts)) }
    }

    var modelReports: [JSON] = []
    for name in (args.value("models") ?? "small").split(separator: ",").map(String.init) {
        let config = try benchModelConfig(name, overrides: args.all("set"), command: cmd)
        let models = try pools.map { try Model(config: config, maxTokens: tokens, seed: 1, pool: $0) }
        var rows: [JSON] = []
        for precision in precisions {
            for model in models { try model.setPrecision(precision) }
            if !json {
                print("\nmodel \(name), \(precision.rawValue) (\(stepKernel(precision))): tokens/s")
                print("seq_len".leftPadded(8) + counts.map { "T=\($0)".leftPadded(11) }.joined() + "   ratio"
                      + "   serial  T-wait (T=\(counts[counts.count - 1]))")
            }
            let batches = lengths.map {
                benchBatch(sequences: tokens / $0, length: $0, vocab: config.vocab, seed: UInt64($0))
            }
            let fastest = try fastestSteps(models: models, pools: pools, counts: counts, batches: batches, repeats: repeats)
            for (len, (batch, best)) in zip(lengths, zip(batches, fastest)) {
                let perSecond = best.map { Double(batch.count) / $0.seconds }
                for (i, t) in counts.enumerated() {
                    rows.append(.obj(["precision": .string(precision.rawValue), "kernel": .string(stepKernel(precision)),
                                      "seq_len": .int(len), "threads": .int(t), "step_s": .number(best[i].seconds),
                                      "tokens_per_s": .number(perSecond[i]),
                                      "ratio_to_first_threads": .number(perSecond[i] / perSecond[0]),
                                      "serial_share": .number(best[i].serialShare),
                                      "tail_wait_share": .number(best[i].tailWaitShare)]))
                }
                if !json {
                    let last = best[best.count - 1]
                    func share(_ x: Double, _ width: Int) -> String { (fixed(100 * x, 1) + "%").leftPadded(width) }
                    print(String(len).leftPadded(8) + perSecond.map { fixed($0, 0).leftPadded(11) }.joined() + "   "
                          + perSecond.dropFirst().map { fixed($0 / perSecond[0], 2) }.joined(separator: " ")
                          + "   " + share(last.serialShare, 6) + share(last.tailWaitShare, 8))
                }
            }
        }
        modelReports.append(.obj(["name": .string(name), "config": config.toJSON(), "rows": .array(rows)]))
    }
    if json {
        printBenchJSON(.obj(["bench": .string("threads"), "threads": .ints(counts), "tokens_per_step": .int(tokens),
                             "ceiling": .array(ceiling), "models": .array(modelReports)]))
    } else {
        print("\ntarget: ratio ≥ 1.8 at 2 threads for every length, in fp32 and bf16 (bounded by the ceiling above)")
    }
    return 0
}

/// One timed step: its wall seconds and the shares of them outside the pool's jobs and waiting at their ends.
private struct StepTiming {
    var seconds: Double
    var serialShare = 0.0
    var tailWaitShare = 0.0
}

/// Per batch and model, the fastest of `repeats` rounds of one step (after a warm-up step each). A round steps
/// every batch on every model in turn, so each batch's timed steps are spread over the whole benchmark and every
/// thread count meets the same conditions: a neighbour busy for a while slows one round of each, not every
/// round of one length. OpenBLAS is set to each model's thread count before its step. Each fastest step also
/// reports where its submitting thread's time went: the share outside the pool's jobs (serial work) and the share
/// waiting at the end of jobs for the other workers (imbalance, late wake-ups).
private func fastestSteps(models: [Model], pools: [WorkerPool], counts: [Int], batches: [PackedBatch],
                          repeats: Int) throws -> [[StepTiming]] {
    for batch in batches {
        for (model, t) in zip(models, counts) { Matmul.setThreads(t); _ = try model.forwardBackward(batch, zLoss: 1e-4) }
    }
    var best = [[StepTiming]](repeating: Array(repeating: StepTiming(seconds: .infinity), count: models.count),
                              count: batches.count)
    for _ in 0..<repeats {
        for (b, batch) in batches.enumerated() {
            for (i, (model, t)) in zip(models, counts).enumerated() {
                Matmul.setThreads(t)
                pools[i].resetTimes()
                let t0 = monotonicSeconds()
                _ = try model.forwardBackward(batch, zLoss: 1e-4)
                let seconds = monotonicSeconds() - t0, times = pools[i].times
                if seconds < best[b][i].seconds {
                    best[b][i] = StepTiming(seconds: seconds, serialShare: t == 1 ? 1 : 1 - times.inJobsSeconds / seconds,
                                            tailWaitShare: times.tailWaitSeconds / seconds)
                }
            }
        }
    }
    return best
}

/// Peak probes (FMA of the widest vectors, and the bf16 instruction when bf16 runs) and sgemm 2048³ on each
/// pool's threads, by wall clock; each row carries the FLOP/s per thread count and the ratios to the first.
private func threadCeiling(pools: [WorkerPool], precisions: [Precision]) -> [JSON] {
    var probes: [PeakProbe] = [CPUFeatures.current.avx512 ? .fmaAVX512 : .fmaAVX2]
    if precisions.contains(.bf16) { probes.append(KernelDispatch.gemmBF16 == .amx ? .tdpbf16AMX : .dpbf16AVX512) }
    func row(_ name: String, _ flops: [Double]) -> JSON {
        .obj(["probe": .string(name), "threads": .ints(pools.map(\.threads)), "flops_per_s": .array(flops.map { .number($0) }),
              "ratio_to_first_threads": .array(flops.map { .number($0 / flops[0]) })])
    }
    var rows = probes.map { probe in row(probe.rawValue, pools.map { KernelBench.peak(probe, pool: $0) }) }
    rows.append(row("sgemm-2048", pools.map { Matmul.setThreads($0.threads); return measureSgemm().wall }))
    return rows
}

/// One ceiling row of the human table: GFLOP/s per thread count, then the ratios to the first.
private func ceilingLine(_ row: JSON, counts: [Int]) -> String {
    let flops = row["flops_per_s"]?.arrayValue?.compactMap(\.doubleValue) ?? []
    let ratios = row["ratio_to_first_threads"]?.arrayValue?.compactMap(\.doubleValue) ?? []
    return (row["probe"]?.stringValue ?? "").padded(18) + flops.map { (fixed($0 / 1e9, 1) + " GF").leftPadded(11) }.joined()
        + "   " + ratios.dropFirst().map { fixed($0, 2) }.joined(separator: " ")
}
