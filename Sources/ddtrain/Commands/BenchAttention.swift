import Kernels
import Support

/// `ddtrain bench attention`: the attention kernel alone (forward and backward over packed sequences, q|k|v fused
/// as in the model), as FLOP/s and as a ratio to single-thread sgemm measured in the same run — the tool for
/// tuning tile sizes and for telling attention's share of a `bench step` gap apart from the matmuls'.
let benchAttentionPart = Subcommand(
    name: "attention", summary: "attention forward/backward GFLOP/s per sequence length, as a ratio to sgemm",
    help: """
    usage: ddtrain bench attention [options]

    Times Attention.forward and Attention.backward on sequences of each length (thread CPU time, best of
    --repeat) with q, k, v the columns of one [T, 3·H·D] tensor as in the model, and prints GFLOP/s two ways:
    executed (forward 2 and backward 5 products of 2·D FLOPs per causal pair: the backward recomputes QKᵀ) and
    credited as in `bench step` (backward = 2× forward, 6 products in all), each as a ratio to 2048³ sgemm
    timed right before the row. Then times the three tile-product shapes (QKᵀ, PV, PᵀdO at these tiles) on the
    attention micro-kernel and through cblas_sgemm on the same operands, and prints their ratio.

    options:
      --lengths LIST    sequence lengths [64,256,1024,4096]
      --tokens N        tokens per call: ⌊N / length⌋ sequences (at least one) [8192]
      --heads N         heads [6]
      --head-dim N      dimension per head [64]
      --tile N          query rows per tile [\(Attention.defaultTile)]
      --key-tile N      keys per tile [\(Attention.defaultKeyTile)]
      --precision P     fp32 or bf16 (bf16 operands, fp32 accumulation; needs AVX512-BF16) [fp32]
      --threads N       OpenBLAS threads [1]
      --repeat N        timed calls per length; the fastest counts [3]
      --json            print one JSON object instead of the table
    """,
    options: ["lengths": true, "tokens": true, "heads": true, "head-dim": true, "tile": true, "key-tile": true,
              "threads": true, "repeat": true, "precision": true, "json": false]
) { args in
    let cmd = "bench attention"
    let lengths = try args.intList("lengths", default: [64, 256, 1024, 4096], command: cmd)
    let tokens = try args.int("tokens", default: 8192, command: cmd)
    let heads = try args.int("heads", default: 6, command: cmd), headDim = try args.int("head-dim", default: 64, command: cmd)
    let tile = try args.int("tile", default: Attention.defaultTile, command: cmd)
    let keyTile = try args.int("key-tile", default: Attention.defaultKeyTile, command: cmd)
    let threads = try args.int("threads", default: 1, command: cmd), repeats = try args.int("repeat", default: 3, command: cmd)
    guard ([tokens, heads, headDim, tile, keyTile, threads, repeats] + lengths).allSatisfy({ $0 >= 1 }) else {
        throw DDError.usage("ddtrain \(cmd): every number (lengths, --tokens, --heads, --head-dim, --tile, --key-tile, "
            + "--threads, --repeat) must be positive")
    }
    let json = args.flag("json")
    let precisionName = args.value("precision") ?? "fp32"
    guard let precision = Precision(rawValue: precisionName) else {
        throw DDError.usage("ddtrain \(cmd): --precision takes fp32 or bf16, got '\(precisionName)'")
    }
    if precision == .bf16 && KernelDispatch.attentionBF16 == nil {
        throw DDError.usage("ddtrain \(cmd): --precision bf16 needs AVX512-BF16, which this CPU (\(CPUFeatures.current.model)) lacks")
    }
    Matmul.setThreads(threads)
    if !json {
        print("attention \(precision.rawValue) (\(precision == .bf16 ? KernelDispatch.attentionBF16! : KernelDispatch.attentionF32)), \(heads) heads × \(headDim), tiles \(tile)×\(keyTile), \(threads) thread(s); GFLOP/s executed | credited")
        print("seq_len".leftPadded(8) + "seqs".leftPadded(6) + "fwd s".leftPadded(9) + "bwd s".leftPadded(9) + "fwd".leftPadded(8)
              + "bwd".leftPadded(8) + "sgemm".leftPadded(8) + "ratio exec".leftPadded(12) + "ratio cred".leftPadded(12))
    }
    var rows: [JSON] = []
    for len in lengths {
        let seqs = max(1, tokens / len)
        let sgemm = measureSgemm().cpu
        let t = try KernelBench.attentionPhases(seqLen: len, heads: heads, headDim: headDim, sequences: seqs,
                                                repeats: repeats, tile: tile, keyTile: keyTile, fused: true,
                                                precision: precision)
        let f = Attention.flops(segmentLengths: Array(repeating: len, count: seqs), heads: heads, headDim: headDim)
        let executed = (f.forward + f.backward) / (t.forward + t.backward)
        let credited = 3 * f.forward / (t.forward + t.backward)
        rows.append(.obj([
            "seq_len": .int(len), "seqs": .int(seqs), "forward_s": .number(t.forward), "backward_s": .number(t.backward),
            "forward_flops_per_s": .number(f.forward / t.forward), "backward_flops_per_s": .number(f.backward / t.backward),
            "sgemm_flops_per_s": .number(sgemm), "ratio_to_sgemm_executed": .number(executed / sgemm),
            "ratio_to_sgemm_credited": .number(credited / sgemm),
        ]))
        if !json {
            print(String(len).leftPadded(8) + String(seqs).leftPadded(6) + fixed(t.forward, 4).leftPadded(9)
                  + fixed(t.backward, 4).leftPadded(9) + fixed(f.forward / t.forward / 1e9, 1).leftPadded(8)
                  + fixed(f.backward / t.backward / 1e9, 1).leftPadded(8) + fixed(sgemm / 1e9, 1).leftPadded(8)
                  + fixed(executed / sgemm, 2).leftPadded(12) + fixed(credited / sgemm, 2).leftPadded(12))
        }
    }
    let products = KernelBench.tileProducts(headDim: headDim, tile: tile, keyTile: keyTile, repeats: repeats)
    if json {
        let productRows: [JSON] = products.map {
            .obj(["name": .string($0.name), "m": .int($0.m), "n": .int($0.n), "k": .int($0.k),
                  "micro_kernel_flops_per_s": .number($0.microKernelFlopsPerSecond),
                  "sgemm_flops_per_s": .number($0.sgemmFlopsPerSecond),
                  "ratio_micro_kernel_to_sgemm": .number($0.microKernelFlopsPerSecond / $0.sgemmFlopsPerSecond)])
        }
        printBenchJSON(JSON.object([("precision", .string(precision.rawValue)), ("heads", .int(heads)), ("head_dim", .int(headDim)), ("tile", .int(tile)),
                                    ("key_tile", .int(keyTile)), ("threads", .int(threads)), ("rows", .array(rows)),
                                    ("tile_products", .array(productRows))]))
    } else {
        print("\ntile products (GFLOP/s): micro-kernel vs cblas_sgemm on the same operands")
        for t in products {
            print("  \(t.name) [\(t.m)×\(t.k)]·[\(t.k)×\(t.n)]".padded(30)
                  + fixed(t.microKernelFlopsPerSecond / 1e9, 1).leftPadded(8) + fixed(t.sgemmFlopsPerSecond / 1e9, 1).leftPadded(8)
                  + "  ratio " + fixed(t.microKernelFlopsPerSecond / t.sgemmFlopsPerSecond, 2))
        }
    }
    return 0
}
