import Support

/// The figures `ddtrain inspect` shows for a prepared dataset, as JSON and as a table.
public enum DatasetReport {
    /// Average context length of sequences with attention spans `l`: Σ l(l−1)/2 / Σ l (the paper's appendix).
    public static func averageContext<S: Sequence>(_ spans: S) -> Double where S.Element == (length: Int, count: Int) {
        var pairs = 0.0, tokens = 0.0
        for s in spans {
            pairs += Double(s.count) * Double(s.length) * Double(s.length - 1) / 2
            tokens += Double(s.count) * Double(s.length)
        }
        return tokens > 0 ? pairs / tokens : 0
    }

    /// Attention spans of a baseline layout's training sequences: the whole sequence (no masking) and the
    /// document segments inside it (document masking). A sequence of n tokens feeds n − 1 positions.
    static func baselineSpans(_ store: DatasetStore, layout: Int) throws -> (unmasked: [(length: Int, count: Int)], masked: [(length: Int, count: Int)]) {
        var unmasked: [(length: Int, count: Int)] = [], masked: [(length: Int, count: Int)] = []
        for shard in 0..<store.manifest.shardCount {
            for i in 0..<store.count(layout: layout, shard: shard, split: .train) {
                let starts = try store.documentStarts(layout: layout, shard: shard, split: .train, index: i)
                let n = try store.sequenceLength(layout: layout, shard: shard, split: .train, index: i) - 1
                unmasked.append((n, 1))
                let bounds = starts.filter { $0 < n } + [n]
                for j in 0..<(bounds.count - 1) { masked.append((bounds[j + 1] - bounds[j], 1)) }
            }
        }
        return (unmasked, masked)
    }

    /// The report of `store` as JSON (optionally after verifying every checksum).
    public static func make(_ store: DatasetStore) throws -> JSON {
        let m = store.manifest
        let bucketTrainTokens = m.layouts.filter { $0.kind.kindName == "bucket" }.reduce(0) { $0 + $1.trainTokens.reduce(0, +) }
        var layouts: [JSON] = []
        var bucketSpans: [(length: Int, count: Int)] = []
        for (li, l) in m.layouts.enumerated() {
            let trainSeq = l.trainCounts.reduce(0, +), trainTok = l.trainTokens.reduce(0, +)
            var pairs: [(String, JSON)] = [
                ("name", .string(l.name)), ("kind", .string(l.kind.kindName)), ("trained_length", .int(l.trainedLength)),
                ("train_sequences", .int(trainSeq)), ("train_tokens", .int(trainTok)),
                ("valid_sequences", .int(l.validCounts.reduce(0, +))), ("valid_tokens", .int(l.shards.reduce(0) { $0 + $1.valid.tokens })),
                ("per_shard_train_sequences", .ints(l.trainCounts)), ("per_shard_train_tokens", .ints(l.trainTokens)),
            ]
            if l.kind.kindName == "bucket" {
                pairs.append(("token_share", .number(bucketTrainTokens > 0 ? Double(trainTok) / Double(bucketTrainTokens) : 0)))
                bucketSpans.append((l.trainedLength, trainSeq))
            } else {
                let spans = try baselineSpans(store, layout: li)
                pairs.append(("average_context", .number(averageContext(spans.unmasked))))
                pairs.append(("average_context_masked", .number(averageContext(spans.masked))))
            }
            layouts.append(.object(pairs))
        }
        let histogram: [JSON] = m.histogramDocuments.indices.map { b in
            .obj(["bin": .int(b), "min_length": .int(1 << b), "documents": .int(m.histogramDocuments[b]), "tokens": .int(m.histogramTokens[b])])
        }
        return .obj([
            "directory": .string(store.directory), "tokenizer": .string(m.tokenizer.name), "vocab_size": .int(m.tokenizer.vocabularySize),
            "token_dtype": .string(m.tokenDType.rawValue), "pieces": .string(m.pieces.rawValue),
            "buckets": .ints([m.minBucket, m.maxBucket]), "shards": .int(m.shardCount),
            "documents": .int(m.documents), "valid_documents": .int(m.validDocuments), "tokens": .int(m.tokens), "text_bytes": .int(m.textBytes),
            "bucket_train_tokens": .int(bucketTrainTokens),
            "bucket_average_context": .number(averageContext(bucketSpans)),
            "discarded_tokens": .object(m.discarded.map { ($0.0, .int($0.1)) }),
            "histogram": .array(histogram),
            "layouts": .array(layouts),
            "command": .string(m.command),
        ])
    }

    /// The report as a table for people.
    public static func text(_ r: JSON) -> String {
        func i(_ j: JSON?) -> String { j?.intValue.map(String.init) ?? "-" }
        var s = "dataset \(r["directory"]?.stringValue ?? ""): tokenizer \(r["tokenizer"]?.stringValue ?? "") (\(i(r["vocab_size"])) ids, \(r["token_dtype"]?.stringValue ?? "")), "
        s += "\(r["pieces"]?.stringValue ?? "") pieces, \(i(r["shards"])) shard(s)\n"
        s += "documents \(i(r["documents"])) (\(i(r["valid_documents"])) held out), tokens \(i(r["tokens"])), text bytes \(i(r["text_bytes"]))\n\n"
        s += "layout".padded(14) + "len".leftPadded(7) + "train_seqs".leftPadded(12) + "train_tokens".leftPadded(14) + "share".leftPadded(8)
            + "valid_seqs".leftPadded(12) + "  per-shard train sequences\n"
        for l in r["layouts"]?.arrayValue ?? [] {
            let share = l["token_share"]?.doubleValue.map { fixed($0 * 100, 1) + "%" } ?? "-"
            let shards = (l["per_shard_train_sequences"]?.arrayValue ?? []).map { i($0) }.joined(separator: " ")
            s += (l["name"]?.stringValue ?? "").padded(14) + i(l["trained_length"]).leftPadded(7) + i(l["train_sequences"]).leftPadded(12)
                + i(l["train_tokens"]).leftPadded(14) + share.leftPadded(8) + i(l["valid_sequences"]).leftPadded(12) + "  " + shards + "\n"
        }
        s += "\naverage context length (Σ l(l−1)/2 / Σ l): buckets \(fixed(r["bucket_average_context"]?.doubleValue ?? 0, 1))"
        for l in r["layouts"]?.arrayValue ?? [] where l["average_context"] != nil {
            s += "; \(l["name"]?.stringValue ?? "") \(fixed(l["average_context"]?.doubleValue ?? 0, 1)) (masked \(fixed(l["average_context_masked"]?.doubleValue ?? 0, 1)))"
        }
        s += "\ndiscarded tokens: " + (r["discarded_tokens"]?.objectValue ?? []).map { "\($0.0) \(i($0.1))" }.joined(separator: ", ") + "\n"
        s += "\ndocument length (tokens incl. end-of-text)   documents      tokens\n"
        // Bins below the shortest document are all empty: start the table at the first occupied one.
        for h in (r["histogram"]?.arrayValue ?? []).drop(while: { ($0["documents"]?.intValue ?? 0) == 0 }) {
            let lo = h["min_length"]?.intValue ?? 0
            s += "  [\(lo), \(2 * lo))".padded(40) + i(h["documents"]).leftPadded(12) + i(h["tokens"]).leftPadded(12) + "\n"
        }
        return s
    }
}
