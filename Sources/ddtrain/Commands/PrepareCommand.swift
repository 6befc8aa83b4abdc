import Comm
import Corpus
import Support

/// `ddtrain prepare`: tokenizes a corpus and writes the bucket (and baseline) shards plus the manifest.
let prepareCommand = Command(
    name: "prepare", summary: "tokenize a corpus into power-of-two buckets and baseline layouts (one shard per rank)",
    help: """
    usage: ddtrain prepare [--config FILE] [--set data.KEY=VALUE ...] [options]

    Reads the corpus, cuts every document into power-of-two pieces (docs/method.md) and writes, per layout, per rank
    and per split, a flat token file; rank 0 writes manifest.json last. Under mpirun every rank reads the documents
    with id % ranks == rank and writes its own shard. Settings come from the config section "data"; flags override it.
      --config FILE          JSON config; its "data" section is used
      --set data.KEY=VALUE   override one key of the config (repeatable)
      --source PATH          corpus file or folder (repeatable; default assets/corpus/default.jsonl.gz)
      --format F             auto | text | jsonl | megatron | llmc (default auto, from the first path)
      --text-field KEY       JSON Lines field holding the text (default text)
      --tokenizer T          byte | gpt2 (default byte)
      --tokenizer-dir DIR    folder of GPT-2's encoder.json and vocab.bpe (default assets/gpt2)
      --out DIR              output folder (default data/prepared)
      --min-bucket K         smallest bucket, pieces of 2^K (default 6, as configs/default.json)
      --max-bucket K         largest bucket (default 10)
      --pieces P             reference (2^k+1 tokens per piece) | exact (2^k) (default reference)
      --long-docs R          seeded | max: bucket of over-long content (default seeded)
      --seed N               seed of the long-document draws and the validation split (default 0)
      --valid-fraction X     share of documents held out (default 0.02)
      --baselines L1,L2      also build concat-and-chunk and best-fit packing at these lengths (default 1024)
      --json                 print the manifest's summary as one JSON object
    """,
    options: ["config": true, "set": true, "source": true, "format": true, "text-field": true, "tokenizer": true,
              "tokenizer-dir": true, "out": true, "min-bucket": true, "max-bucket": true, "pieces": true, "long-docs": true,
              "seed": true, "valid-fraction": true, "baselines": true, "json": false]
) { args in
    let comm = try World.communicator()
    let settings = try prepareSettings(args)
    if args.flag("json") { Log.quiet = true }
    let (tokenizer, info) = try Preparer.loadTokenizer(settings)
    let source = try Preparer.makeSource(settings, endOfText: info.endOfText)
    if comm.rank == 0 { try Preparer.beginOutput(directory: settings.directory) }
    try comm.barrier()
    // From here on a failure on any rank removes every file of this prepare before the job ends (no partial dataset).
    do {
        Log.info("prepare: \(settings.sources.joined(separator: ", ")) → \(settings.directory) (\(Preparer.resolveFormat(settings).rawValue), tokenizer \(info.name), \(comm.size) shard(s))")
        let t0 = monotonicSeconds()
        let summary = try Preparer.prepareShard(settings: settings, source: source, tokenizer: tokenizer, info: info,
                                                rank: comm.rank, worldSize: comm.size)
        let seconds = monotonicSeconds() - t0
        // Every rank's summary travels to every rank as JSON text; rank 0 writes the manifest once all shards exist.
        let gathered = try comm.allgatherv(Array(summary.json.compact.utf8))
        let summaries = try gathered.map { try ShardSummary(json: try JSONParser.parse($0, source: "shard summary")) }
        let slowest = try comm.allreduce(seconds, op: .max)
        if comm.rank == 0 {
            let command = CommandLine.arguments.joined(separator: " ")
            let manifest = try ManifestBuilder.build(settings: settings, tokenizer: info, summaries: summaries, command: command)
            try ManifestBuilder.write(manifest, directory: settings.directory)
            let bytes = summaries.reduce(0) { $0 + $1.textBytes }, tokens = summaries.reduce(0) { $0 + $1.tokens }
            if args.flag("json") {
                print(JSON.obj(["directory": .string(settings.directory), "shards": .int(comm.size), "documents": manifest["documents"]!,
                                "discarded_tokens": manifest["discarded_tokens"]!, "totals": manifest["totals"]!,
                                "seconds": .number(slowest), "text_mb_per_s_per_rank": .number(Double(bytes) / 1e6 / slowest / Double(comm.size)),
                                "tokens_per_s_per_rank": .number(Double(tokens) / slowest / Double(comm.size))]).compact)
            } else {
                let store = try DatasetStore(directory: settings.directory)
                print(DatasetReport.text(try DatasetReport.make(store)), terminator: "")
                print("prepared in \(fixed(slowest, 2)) s: \(fixed(Double(bytes) / 1e6 / slowest / Double(comm.size), 1)) MB of text/s per rank, "
                      + "\(fixed(Double(tokens) / 1e6 / slowest / Double(comm.size), 2)) M tokens/s per rank")
            }
        }
    } catch {
        Preparer.abandonOutput(settings: settings, worldSize: comm.size)
        throw error
    }
    try comm.barrier()
    return 0
}

/// The prepare settings: the config's "data" section, then `--set` overrides, then the flags.
func prepareSettings(_ args: Arguments) throws -> PrepareSettings {
    var config = JSON.object([])
    if let path = args.value("config") { config = try FileIO.readJSON(path) }
    config = try ConfigOverrides.apply(args.all("set"), to: config)
    var data = config["data"] ?? .object([])
    func put(_ key: String, _ value: JSON) { data = data.setting(key, to: value) }
    func number(_ flag: String) throws -> JSON? {
        guard let v = args.value(flag) else { return nil }
        guard let x = Double(v) else { throw DDError.usage("ddtrain prepare: --\(flag) expects a number, got '\(v)'") }
        return .number(x)
    }
    if !args.all("source").isEmpty { put("sources", .array(args.all("source").map { .string($0) })) }
    for (flag, key) in [("format", "format"), ("text-field", "text_field"), ("tokenizer", "tokenizer"), ("tokenizer-dir", "tokenizer_dir"),
                        ("out", "dir"), ("pieces", "pieces"), ("long-docs", "long_docs")] {
        if let v = args.value(flag) { put(key, .string(v)) }
    }
    for (flag, key) in [("min-bucket", "min_bucket"), ("max-bucket", "max_bucket"), ("seed", "seed"), ("valid-fraction", "valid_fraction")] {
        if let v = try number(flag) { put(key, v) }
    }
    if args.value("baselines") != nil { put("baselines", .ints(try args.intList("baselines", default: [], command: "prepare"))) }
    return try PrepareSettings.parse(try ConfigReader(data, path: "data"))
}
