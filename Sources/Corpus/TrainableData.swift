import Support

/// Refuses a prepared dataset that leaves nothing to train on, before its manifest is written: a corpus with no
/// documents, one whose documents are all shorter than a piece of the smallest bucket, or a bucket range and
/// validation split that leave no training piece. Each case is one error line naming the config key and the fix.
public enum TrainableData {
    /// Throws when the shards summarised by `summaries` hold no training piece in any bucket.
    public static func check(settings: PrepareSettings, summaries: [ShardSummary]) throws {
        let documents = summaries.reduce(0) { $0 + $1.documents }
        guard documents > 0 else {
            throw DDError.config("data.sources", "\(settings.sources.joined(separator: ", ")) holds no documents",
                                 fix: "point data.sources at a corpus with at least one non-empty document")
        }
        let trainPieces = summaries.reduce(0) { total, s in
            total + s.layouts.filter { $0.kind.kindName == "bucket" }.reduce(0) { $0 + $1.train.sequences }
        }
        guard trainPieces == 0 else { return }
        let d = settings.decomposition
        let range = "buckets \(d.minBucket)...\(d.maxBucket)"
        // Histogram bin b holds documents of 2^b ..< 2^(b+1) tokens (end-of-text included).
        let topBin = summaries.map { $0.histogramDocuments.lastIndex { $0 > 0 } ?? 0 }.max() ?? 0
        let needed = d.pieces.tokensPerPiece(d.minBucket)
        if 1 << topBin < needed {
            let fitting = (1...d.minBucket).last { d.pieces.tokensPerPiece($0) <= 1 << topBin }
            let fix = fitting.map { "set data.min_bucket to \($0) or lower, or add longer documents" } ?? "add longer documents"
            throw DDError.config("data.min_bucket", "\(range) leave nothing to train on: no document is long enough for the smallest "
                                 + "bucket (a piece of bucket \(d.minBucket) needs \(needed) tokens; the longest of the \(documents) "
                                 + "document(s) has fewer than \(1 << (topBin + 1)))", fix: fix)
        }
        let valid = summaries.reduce(0) { $0 + $1.validDocuments }
        throw DDError.config("data.valid_fraction", "\(range) leave nothing to train on: every document long enough for a piece is "
                             + "held out for validation (\(valid) of \(documents) document(s) held out at valid_fraction \(settings.validFraction))",
                             fix: "lower data.valid_fraction or add documents")
    }
}
