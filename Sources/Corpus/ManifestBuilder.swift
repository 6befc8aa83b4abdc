import Support

/// Builds manifest.json from every rank's shard summary (run on rank 0, after all shards are on disk).
public enum ManifestBuilder {
    /// The manifest of a dataset made with `settings` by `summaries.count` ranks (summaries in rank order); throws
    /// when the shards leave nothing to train on (TrainableData).
    public static func build(settings: PrepareSettings, tokenizer: TokenizerInfo, summaries: [ShardSummary], command: String) throws -> JSON {
        let kinds = settings.layoutKinds
        for (r, s) in summaries.enumerated() {
            guard s.shard == r, s.layouts.map(\.kind) == kinds else {
                throw DDError("prepare: the summary of rank \(r) does not match the settings of rank 0 (fix: run every rank with the same config and build)")
            }
        }
        try TrainableData.check(settings: settings, summaries: summaries)
        func total(_ f: (ShardSummary) -> Int) -> Int { summaries.reduce(0) { $0 + f($1) } }
        let bins = summaries.map(\.histogramDocuments.count).max() ?? 0
        let histogram: [JSON] = (0..<bins).map { b in
            .obj(["bin": .int(b), "min_length": .int(1 << b),
                  "documents": .int(total { b < $0.histogramDocuments.count ? $0.histogramDocuments[b] : 0 }),
                  "tokens": .int(total { b < $0.histogramTokens.count ? $0.histogramTokens[b] : 0 })])
        }
        var discarded: [(String, JSON)] = []
        for (name, _) in summaries.first?.discarded ?? [] {
            discarded.append((name, .int(total { s in s.discarded.first { $0.0 == name }?.1 ?? 0 })))
        }
        var files: [FileRecord] = []
        var layouts: [JSON] = []
        var bucketTrain = 0, bucketValid = 0
        for (li, kind) in kinds.enumerated() {
            let per = summaries.map { $0.layouts[li] }
            for p in per { files += [p.train.tokensFile, p.train.indexFile, p.valid.tokensFile, p.valid.indexFile].compactMap { $0 } }
            let tokensPerSequence: Int, trained = kind.trainedLength
            switch kind {
            case let .bucket(k):
                tokensPerSequence = settings.decomposition.pieces.tokensPerPiece(k)
                bucketTrain += per.reduce(0) { $0 + $1.train.tokens }
                bucketValid += per.reduce(0) { $0 + $1.valid.tokens }
            case let .concat(l), let .packed(l):
                tokensPerSequence = l + 1
            }
            layouts.append(.obj([
                "name": .string(kind.name), "kind": .string(kind.kindName), "parameter": .int(kind.parameter),
                "tokens_per_sequence": .int(tokensPerSequence), "trained_length": .int(trained),
                "train_sequences": .int(per.reduce(0) { $0 + $1.train.sequences }), "train_tokens": .int(per.reduce(0) { $0 + $1.train.tokens }),
                "valid_sequences": .int(per.reduce(0) { $0 + $1.valid.sequences }), "valid_tokens": .int(per.reduce(0) { $0 + $1.valid.tokens }),
                "shards": .array(zip(summaries, per).map { s, p in .obj(["shard": .int(s.shard), "train": p.train.json, "valid": p.valid.json]) }),
            ]))
        }
        files.sort { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        return .obj([
            "format": .string("ddtrain-dataset"), "version": .int(Manifest.formatVersion),
            "tokenizer": .obj(["name": .string(tokenizer.name), "vocab_size": .int(tokenizer.vocabularySize), "eot": .int(Int(tokenizer.endOfText))]),
            "token_dtype": .string(TokenDType(vocabularySize: tokenizer.vocabularySize).rawValue),
            "pieces": .string(settings.decomposition.pieces.rawValue), "long_docs": .string(settings.decomposition.longDocuments.rawValue),
            "min_bucket": .int(settings.decomposition.minBucket), "max_bucket": .int(settings.decomposition.maxBucket),
            "seed": .int(Int(settings.decomposition.seed)), "valid_fraction": .number(settings.validFraction),
            "shards": .int(summaries.count),
            "command": .string(command),
            "settings": settings.json,
            "documents": .obj([
                "count": .int(total(\.documents)), "valid": .int(total(\.validDocuments)),
                "tokens": .int(total(\.tokens)), "text_bytes": .int(total(\.textBytes)), "histogram": .array(histogram),
            ]),
            "discarded_tokens": .object(discarded),
            "totals": .obj([
                "bucket_train_tokens": .int(bucketTrain), "bucket_valid_tokens": .int(bucketValid),
                "files": .int(files.count), "bytes": .int(files.reduce(0) { $0 + $1.bytes }),
            ]),
            "layouts": .array(layouts),
            "files": .array(files.map(\.json)),
        ])
    }

    /// Writes the manifest atomically: the last file of a prepare, so its presence means the dataset is complete.
    public static func write(_ manifest: JSON, directory: String) throws {
        try AtomicFile.write(manifest.pretty, to: directory + "/" + Manifest.fileName)
    }
}
