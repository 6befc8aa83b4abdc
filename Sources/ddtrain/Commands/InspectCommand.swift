import Corpus
import Support

/// `ddtrain inspect DIR`: what a prepared dataset holds, per layout and per shard, and its checksums.
let inspectCommand = Command(
    name: "inspect", summary: "show a prepared dataset: buckets, shards, length histogram, checksums",
    help: """
    usage: ddtrain inspect DIR [--json] [--verify]

    Per layout (bucket or baseline) and per shard: sequences, tokens and share of the bucket tokens; the
    document-length histogram over power-of-two bins; discarded tokens; the average context length
    Σ l(l−1)/2 / Σ l of the bucket mixture and of each baseline (with and without document masking).
      --verify   recompute the SHA-256 of every file and compare with the manifest
      --json     one JSON object on stdout
    """,
    options: ["json": false, "verify": false]
) { args in
    guard args.positionals.count == 1, let dir = args.positionals.first else {
        throw DDError.usage("ddtrain inspect: name one dataset folder (ddtrain inspect DIR)")
    }
    let store = try DatasetStore(directory: dir)
    var report = try DatasetReport.make(store)
    if args.flag("verify") {
        let t0 = monotonicSeconds()
        let bytes = try store.verify()
        report = report.setting("verified", to: .obj(["files": .int(store.manifest.files.count), "bytes": .int(bytes),
                                                      "seconds": .number(monotonicSeconds() - t0)]))
    }
    if args.flag("json") {
        print(report.compact)
    } else {
        print(DatasetReport.text(report), terminator: "")
        if let v = report["verified"] {
            print("checksums: \(v["files"]?.intValue ?? 0) files, \(humanBytes(v["bytes"]?.intValue ?? 0)) verified (SHA-256 matches the manifest)")
        }
    }
    return 0
}
