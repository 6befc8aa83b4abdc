import Comm
import Corpus
import Support
#if canImport(Glibc)
import Glibc
#endif

/// `ddtrain bench prepare`: text throughput of tokenization plus decomposition, per rank.
let benchPreparePart = Subcommand(
    name: "prepare", summary: "MB/s of text per rank: byte-level and GPT-2 tokenization plus decomposition",
    help: """
    usage: ddtrain bench prepare [--source PATH ...] [--mb N] [--tokenizer-dir DIR] [--json]

    Loads up to N MB of documents (this rank's slice under mpirun) into memory, then times, per tokenizer,
    tokenization + end-of-text + decomposition into buckets 8..13 + conversion to the on-disk uint16/uint32
    form (no disk), repeated for at least one second; and once, the whole byte-level shard write (files,
    SHA-256, fsync) into a temporary folder. Figures are MB of input text per second per rank (targets:
    byte-level ≥ 100, GPT-2 ≥ 20). Timings on a machine shared with other work vary; compare within one run.
      --source PATH         corpus (repeatable; default assets/corpus/default.jsonl.gz)
      --mb N                MB of text to load per rank (default 16)
      --tokenizer-dir DIR   GPT-2 files (default assets/gpt2); the GPT-2 row is skipped when absent
      --json                one JSON object on stdout
    """,
    options: ["source": true, "mb": true, "tokenizer-dir": true, "json": false]
) { args in
    let comm = try World.communicator()
    var settings = PrepareSettings()
    if !args.all("source").isEmpty { settings.sources = args.all("source") }
    if let d = args.value("tokenizer-dir") { settings.tokenizerDirectory = d }
    let limit = try args.int("mb", default: 16, command: "bench prepare") * 1_000_000
    let json = args.flag("json")

    // This rank's documents, up to the byte limit.
    var documents: [[UInt8]] = []
    var bytes = 0
    struct Enough: Error {}
    do {
        try Preparer.makeSource(settings, endOfText: 256).forEachDocument(rank: comm.rank, worldSize: comm.size) { doc in
            guard case let .text(t) = doc.content else {
                throw DDError("bench prepare: \(doc.origin) is pre-tokenized (fix: give a text or JSON Lines corpus)")
            }
            documents.append(t)
            bytes += t.count
            if bytes >= limit { throw Enough() }
        }
    } catch is Enough {}
    guard bytes > 0 else { throw DDError("bench prepare: the source holds no text (fix: pass --source with a text corpus)") }

    var tokenizers: [Tokenizer] = [ByteTokenizer()]
    if FileIO.exists(settings.tokenizerDirectory + "/encoder.json") {
        tokenizers.append(try TokenizerInfo.load("gpt2", directory: settings.tokenizerDirectory))
    } else if comm.rank == 0 && !json {
        print("GPT-2 files not found in \(settings.tokenizerDirectory): GPT-2 row skipped")
    }
    let config = DecompositionConfig(minBucket: 8, maxBucket: 13)
    var rows: [JSON] = []
    if comm.rank == 0 && !json {
        print("bench prepare: \(comm.size) rank(s), \(fixed(Double(bytes) / 1e6, 1)) MB of text and \(documents.count) documents on rank 0")
        print("stage".padded(44) + "MB/s/rank min".leftPadded(15) + "mean".leftPadded(10) + "tokens/byte".leftPadded(13))
    }
    func report(_ name: String, _ seconds: Double, _ tokens: Int, _ textBytes: Int) throws {
        let rate = Double(textBytes) / 1e6 / seconds
        let lo = try comm.allreduce(rate, op: .min), sum = try comm.allreduce(rate, op: .sum)
        let ratio = Double(tokens) / Double(max(textBytes, 1))
        rows.append(.obj(["stage": .string(name), "mb_per_s_per_rank_min": .number(lo), "mb_per_s_per_rank_mean": .number(sum / Double(comm.size)),
                          "tokens_per_byte": .number(ratio), "seconds": .number(seconds)]))
        if comm.rank == 0 && !json {
            print(name.padded(44) + fixed(lo, 1).leftPadded(15) + fixed(sum / Double(comm.size), 1).leftPadded(10) + fixed(ratio, 3).leftPadded(13))
        }
    }
    for tokenizer in tokenizers {
        let dtype = TokenDType(vocabularySize: tokenizer.vocabularySize)
        var out = [UInt16](repeating: 0, count: 1 << 16), out32 = [UInt32](repeating: 0, count: 1 << 16)
        var rounds = 0, tokens = 0, kept = 0
        try comm.barrier()
        let t0 = monotonicSeconds()
        repeat {
            for (id, text) in documents.enumerated() {
                var t = text.withUnsafeBufferPointer { tokenizer.encode($0) }
                t.append(tokenizer.endOfText)
                tokens += t.count
                let d = Decomposer.decompose(length: t.count, documentID: id, config: config)
                // Convert every piece to its stored width, as the shard writer does before writing.
                for p in d.pieces {
                    if out.count < p.count { out = [UInt16](repeating: 0, count: p.count); out32 = [UInt32](repeating: 0, count: p.count) }
                    if dtype == .uint16 { for j in 0..<p.count { out[j] = UInt16(truncatingIfNeeded: t[p.start + j]) } }
                    else { for j in 0..<p.count { out32[j] = UInt32(truncatingIfNeeded: t[p.start + j]) } }
                    kept += Int(out[p.count - 1] & 1) + Int(out32[p.count - 1] & 1)
                }
            }
            rounds += 1
        } while monotonicSeconds() - t0 < 1.0
        let seconds = monotonicSeconds() - t0
        try report("\(tokenizer.name): tokenize + decompose (memory)", seconds, tokens, bytes * rounds)
        // Reading `kept` keeps the optimizer from dropping the conversion loop as dead code.
        if kept < 0 { print(kept) }
    }
    // The whole shard write, byte-level, into a private temporary folder.
    var template = Array("/tmp/ddtrain-bench-prepare-XXXXXX".utf8CString)
    guard let p = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
        throw DDError("bench prepare: cannot create a temporary folder in /tmp (fix: check /tmp)")
    }
    let dir = String(cString: p)
    settings.directory = dir
    let t0 = monotonicSeconds()
    let summary = try Preparer.prepareShard(settings: settings, source: InMemorySource(documents: documents), tokenizer: ByteTokenizer(),
                                            info: TokenizerInfo.known("byte")!, rank: 0, worldSize: 1)
    try report("byte: whole shard write (files, SHA-256)", monotonicSeconds() - t0, summary.tokens, summary.textBytes)
    for name in try FileIO.listDirectory(dir) { FileIO.removeIfPresent(dir + "/" + name) }
    rmdir(dir)
    if json && comm.rank == 0 {
        printBenchJSON(JSON.obj(["ranks": .int(comm.size), "text_bytes_rank0": .int(bytes), "documents_rank0": .int(documents.count), "rows": .array(rows)]))
    }
    return 0
}
