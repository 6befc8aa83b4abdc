import Support

/// Writes one rank's shard of every layout: documents go in one at a time (streaming), are routed to the train
/// or validation split by document id, decomposed into bucket pieces and fed to the baseline builders.
public final class ShardWriter {
    public let settings: PrepareSettings
    public let shard: Int
    public let dtype: TokenDType
    private let directory: String
    private let vocabularySize: Int

    /// One output of a layout and split: its token file, and for baselines its index and sequence builder.
    private final class Output {
        let file: HashingFileWriter
        var counts = SplitCounts()
        var index = SequenceIndex()
        var chunker: ConcatChunker?
        var packer: PackingBuffer?
        init(file: HashingFileWriter) { self.file = file }
    }

    private let kinds: [LayoutKind]
    /// outputs[layout][split: 0 train, 1 valid]
    private var outputs: [[Output]] = []
    private let firstBucket: Int
    private var summary: ShardSummary
    private var bucketDiscarded = 0

    /// Opens every output file of shard `shard` (under temporary names until `finish`).
    public init(directory: String, shard: Int, settings: PrepareSettings, tokenizer: TokenizerInfo) throws {
        self.directory = directory
        self.shard = shard
        self.settings = settings
        vocabularySize = tokenizer.vocabularySize
        dtype = TokenDType(vocabularySize: tokenizer.vocabularySize)
        kinds = settings.layoutKinds
        firstBucket = settings.decomposition.minBucket
        summary = ShardSummary(shard: shard)
        do {
            for kind in kinds {
                outputs.append(try Split.allCases.map { split in
                    let o = Output(file: try HashingFileWriter(directory: directory, name: LayoutFiles.tokens(kind, shard: shard, split: split)))
                    if case let .concat(l) = kind { o.chunker = ConcatChunker(length: l) }
                    if case let .packed(l) = kind { o.packer = PackingBuffer(length: l) }
                    return o
                })
            }
        } catch {
            abandon()
            throw error
        }
    }

    /// Adds a document: its tokens with the end-of-text id already appended. `origin` names it in errors.
    public func add(documentID: Int, tokens: UnsafeBufferPointer<Int32>, origin: String) throws {
        for (i, t) in tokens.enumerated() where t < 0 || Int(t) >= vocabularySize {
            throw DDError.file(origin, "token id \(t) at position \(i) is outside the vocabulary 0..<\(vocabularySize)",
                               fix: "set data.tokenizer to the tokenizer the corpus was made with")
        }
        let split = settings.isValidation(documentID: documentID) ? 1 : 0
        summary.documents += 1
        if split == 1 { summary.validDocuments += 1 }
        summary.tokens += tokens.count
        summary.recordLength(tokens.count)

        let d = Decomposer.decompose(length: tokens.count, documentID: documentID, config: settings.decomposition)
        bucketDiscarded += d.discarded
        for p in d.pieces {
            let o = outputs[p.bucket - firstBucket][split]
            try o.file.write(tokens: UnsafeBufferPointer(rebasing: tokens[p.start..<(p.start + p.count)]), as: dtype)
            o.counts.sequences += 1
            o.counts.tokens += p.count
        }
        for (li, kind) in kinds.enumerated() where kind.hasIndex {
            let o = outputs[li][split]
            let emit: ([Int32], [Int32]) throws -> Void = { [dtype] seq, starts in
                try o.file.write(tokens: seq, as: dtype)
                o.index.append(length: seq.count, segmentStarts: starts)
                o.counts.sequences += 1
                o.counts.tokens += seq.count
            }
            try o.chunker?.add(tokens, emit: emit)
            try o.packer?.add(tokens, emit: emit)
        }
    }

    /// Adds a document given as an array (end-of-text appended).
    public func add(documentID: Int, tokens: [Int32], origin: String) throws {
        try tokens.withUnsafeBufferPointer { try add(documentID: documentID, tokens: $0, origin: origin) }
    }

    /// Counts text bytes read (for throughput figures).
    public func recordTextBytes(_ n: Int) { summary.textBytes += n }

    /// Flushes the baselines, renames every file into place and returns the shard's summary.
    public func finish() throws -> ShardSummary {
        do {
            var discarded: [(String, Int)] = [("buckets", bucketDiscarded)]
            var layouts: [(kind: LayoutKind, train: SplitCounts, valid: SplitCounts)] = []
            for (li, kind) in kinds.enumerated() {
                var lost = 0
                for o in outputs[li] {
                    if o.packer != nil {
                        try o.packer!.flush { [dtype] seq, starts in
                            try o.file.write(tokens: seq, as: dtype)
                            o.index.append(length: seq.count, segmentStarts: starts)
                            o.counts.sequences += 1
                            o.counts.tokens += seq.count
                        }
                    }
                    lost += o.chunker?.pendingTokens ?? 0
                    o.counts.tokensFile = try o.file.finish()
                }
                if kind.hasIndex {
                    for (s, split) in Split.allCases.enumerated() {
                        let name = LayoutFiles.index(kind, shard: shard, split: split)
                        let bytes = outputs[li][s].index.encoded()
                        try AtomicFile.write(bytes, to: directory + "/" + name)
                        outputs[li][s].counts.indexFile = FileRecord(name: name, bytes: bytes.count, sha256: SHA256.hex(of: bytes))
                    }
                    discarded.append((kind.name, lost))
                }
                layouts.append((kind, outputs[li][0].counts, outputs[li][1].counts))
            }
            AtomicFile.syncDirectory(of: directory + "/x")
            summary.discarded = discarded
            summary.layouts = layouts
            return summary
        } catch {
            abandon()
            throw error
        }
    }

    /// Removes every temporary file (after an error).
    public func abandon() {
        for row in outputs { for o in row { o.file.abandon() } }
    }
}
