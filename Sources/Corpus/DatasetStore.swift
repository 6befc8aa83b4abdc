import Support

/// A prepared dataset opened for reading: the manifest and every shard file memory-mapped.
///
/// Opening checks each file's size against the manifest (cheap); `verify()` also recomputes every SHA-256.
/// Reads are thread-safe (the maps are read-only).
public final class DatasetStore: @unchecked Sendable {
    /// The dataset folder.
    public let directory: String
    public let manifest: Manifest
    /// tokenFiles[layout][shard][split] (nil for a shard not opened), indexFiles likewise (also nil for buckets).
    private var tokenFiles: [[[MappedFile?]]] = []
    private var indexFiles: [[[MappedSequenceIndex?]]] = []
    /// The shards whose files are mapped (all of them unless the store was opened for some only).
    private let opened: (Int) -> Bool

    /// Opens `directory`: reads its manifest and maps every file listed there, or with `shards` only the files of the
    /// shards it accepts (a training rank opens the shards it owns; reading another shard is then an error).
    public init(directory: String, shards: ((Int) -> Bool)? = nil) throws {
        self.directory = directory
        manifest = try Manifest.read(directory: directory)
        opened = shards ?? { _ in true }
        let width = manifest.tokenDType.byteWidth
        for layout in manifest.layouts {
            var tl: [[MappedFile?]] = [], il: [[MappedSequenceIndex?]] = []
            for (shard, counts) in layout.shards.enumerated() {
                var ts: [MappedFile?] = [], ix: [MappedSequenceIndex?] = []
                guard opened(shard) else {
                    tl.append([nil, nil]); il.append([nil, nil])
                    continue
                }
                for split in Split.allCases {
                    let c = counts.counts(split)
                    let where_ = "\(layout.name) shard \(shard) \(split.rawValue)"
                    guard let tf = c.tokensFile else {
                        throw DDError.file(directory + "/" + Manifest.fileName, "no token file for \(where_)", fix: "prepare the dataset again")
                    }
                    let f = try open(tf)
                    guard f.count == c.tokens * width else {
                        throw DDError.file(f.path, "holds \(f.count) bytes but the manifest counts \(c.tokens) tokens of \(width) bytes",
                                           fix: "prepare the dataset again")
                    }
                    if layout.kind.hasIndex {
                        guard let idx = c.indexFile else {
                            throw DDError.file(directory + "/" + Manifest.fileName, "no index file for \(where_)", fix: "prepare the dataset again")
                        }
                        _ = try open(idx)
                        let m = try MappedSequenceIndex(path: directory + "/" + idx.name, totalTokens: c.tokens)
                        guard m.count == c.sequences else {
                            throw DDError.file(directory + "/" + idx.name, "indexes \(m.count) sequences, the manifest says \(c.sequences)", fix: "prepare the dataset again")
                        }
                        ix.append(m)
                    } else {
                        guard c.tokens == c.sequences * layout.tokensPerSequence else {
                            throw DDError.file(f.path, "\(c.tokens) tokens are not \(c.sequences) sequences of \(layout.tokensPerSequence)", fix: "prepare the dataset again")
                        }
                        ix.append(nil)
                    }
                    ts.append(f)
                }
                tl.append(ts); il.append(ix)
            }
            tokenFiles.append(tl); indexFiles.append(il)
        }
    }

    /// Maps a listed file after checking its size.
    private func open(_ record: FileRecord) throws -> MappedFile {
        let path = directory + "/" + record.name
        guard FileIO.exists(path) else { throw DDError.file(path, "missing (listed in the manifest)", fix: "prepare the dataset again") }
        let f = try MappedFile(path: path)
        guard f.count == record.bytes else {
            throw DDError.file(path, "size \(f.count) bytes, the manifest says \(record.bytes)", fix: "prepare the dataset again")
        }
        return f
    }

    /// The position of layout `name` in `manifest.layouts`.
    public func layoutIndex(named name: String) throws -> Int {
        guard let i = manifest.layouts.firstIndex(where: { $0.name == name }) else {
            throw DDError.file(directory, "has no layout \(name) (it has \(manifest.layouts.map(\.name).joined(separator: ", ")))",
                               fix: "prepare with the baselines or buckets you need")
        }
        return i
    }

    /// Number of sequences of a layout's shard and split.
    public func count(layout: Int, shard: Int, split: Split) -> Int {
        manifest.layouts[layout].shards[shard].counts(split).sequences
    }

    /// Token range of a sequence inside its token file.
    private func range(layout: Int, shard: Int, split: Split, index: Int) throws -> Range<Int> {
        let l = manifest.layouts[layout]
        guard shard >= 0, shard < manifest.shardCount, index >= 0, index < count(layout: layout, shard: shard, split: split) else {
            throw DDError("\(directory): no sequence \(index) in \(l.name) shard \(shard) \(split.rawValue) (fix: use an index below \(shard < manifest.shardCount && shard >= 0 ? count(layout: layout, shard: shard, split: split) : 0))")
        }
        guard opened(shard) else {
            throw DDError("\(directory): \(l.name) shard \(shard) is not opened here (this store holds only the shards its rank owns; fix: read the sequence on its owner and send it)")
        }
        if let ix = indexFiles[layout][shard][split == .train ? 0 : 1] { return ix.tokenRange(index) }
        return (index * l.tokensPerSequence)..<((index + 1) * l.tokensPerSequence)
    }

    /// Number of tokens of a sequence (fixed for buckets and concat chunks, variable for packed bins).
    public func sequenceLength(layout: Int, shard: Int, split: Split, index: Int) throws -> Int {
        try range(layout: layout, shard: shard, split: split, index: index).count
    }

    /// Copies a sequence's tokens into `buffer` (room for `manifest.layouts[layout].tokensPerSequence`);
    /// returns how many were written.
    public func sequence(layout: Int, shard: Int, split: Split, index: Int, into buffer: UnsafeMutablePointer<Int32>) throws -> Int {
        let r = try range(layout: layout, shard: shard, split: split, index: index)
        let f = tokenFiles[layout][shard][split == .train ? 0 : 1]!
        switch manifest.tokenDType {
        case .uint16: for (j, t) in r.enumerated() { buffer[j] = Int32(f.load(2 * t, as: UInt16.self)) }
        case .uint32: for (j, t) in r.enumerated() { buffer[j] = Int32(bitPattern: f.load(4 * t, as: UInt32.self)) }
        }
        // A damaged file (same size, other bytes) must not reach the model as an id past the embedding table.
        let vocabulary = manifest.tokenizer.vocabularySize
        for j in 0..<r.count where buffer[j] < 0 || Int(buffer[j]) >= vocabulary {
            throw DDError.file(f.path, "token id \(buffer[j]) at token \(r.lowerBound + j) is outside the vocabulary 0..<\(vocabulary) (the file is corrupt)",
                               fix: "check the folder with 'ddtrain inspect \(directory) --verify' and prepare the dataset again")
        }
        return r.count
    }

    /// A sequence's tokens and the offsets where documents start inside it (always [0] for a bucket).
    public func sequence(layout: Int, shard: Int, split: Split, index: Int) throws -> (tokens: [Int32], documentStarts: [Int]) {
        let r = try range(layout: layout, shard: shard, split: split, index: index)
        let tokens = try [Int32](unsafeUninitializedCapacity: r.count) { buf, n in
            n = try sequence(layout: layout, shard: shard, split: split, index: index, into: buf.baseAddress!)
        }
        return (tokens, try documentStarts(layout: layout, shard: shard, split: split, index: index))
    }

    /// The offsets where documents start inside a sequence (always [0] for a bucket).
    public func documentStarts(layout: Int, shard: Int, split: Split, index: Int) throws -> [Int] {
        _ = try range(layout: layout, shard: shard, split: split, index: index)
        return indexFiles[layout][shard][split == .train ? 0 : 1]?.documentStarts(index) ?? [0]
    }

    /// Recomputes the SHA-256 of every file and compares it with the manifest; throws at the first mismatch.
    /// Returns the number of bytes checked.
    @discardableResult
    public func verify() throws -> Int {
        var total = 0
        for record in manifest.files {
            let f = try open(record)
            var h = SHA256()
            h.update(f.bytes)
            let got = h.finalizeHex()
            guard got == record.sha256 else {
                throw DDError.file(f.path, "SHA-256 \(got) differs from the manifest's \(record.sha256): the file is corrupt or was changed",
                                   fix: "prepare the dataset again")
            }
            total += record.bytes
        }
        return total
    }
}
