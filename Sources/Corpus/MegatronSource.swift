import Support

/// A Megatron-LM indexed dataset (`PREFIX.idx` + `PREFIX.bin`, MMIDIDX version 1), memory-mapped.
///
/// Index layout (little-endian): magic "MMIDIDX\0\0", uint64 version 1, uint8 dtype code (4 = int32,
/// 8 = uint16), int64 sequence count n, int64 document-index count d, int32 sizes[n], int64 pointers[n] (byte
/// offsets into .bin), int64 doc_idx[d]. Document i is the sequences doc_idx[i] ..< doc_idx[i+1]. The int64
/// arrays follow 34 header bytes and 4n bytes of sizes, so they are unaligned and read with loadUnaligned.
public final class MegatronDataset {
    /// The `.idx` and `.bin` paths.
    public let indexPath: String, dataPath: String
    let index: MappedFile, data: MappedFile
    /// Bytes per token (4 for int32, 2 for uint16).
    public let tokenBytes: Int
    /// Number of sequences and of documents.
    public let sequenceCount: Int, documentCount: Int
    let sizesOffset = 34
    var pointersOffset: Int { sizesOffset + 4 * sequenceCount }
    var docIndexOffset: Int { pointersOffset + 8 * sequenceCount }

    /// The magic bytes that open every MMIDIDX index.
    public static let magic: [UInt8] = Array("MMIDIDX".utf8) + [0, 0]

    /// Opens `path` given as the prefix, the `.idx` or the `.bin`; checks the header and array sizes.
    public init(path: String) throws {
        var prefix = path
        if prefix.hasSuffix(".idx") || prefix.hasSuffix(".bin") { prefix.removeLast(4) }
        indexPath = prefix + ".idx"
        dataPath = prefix + ".bin"
        index = try MappedFile(path: indexPath)
        data = try MappedFile(path: dataPath)
        let fix = "rebuild it with Megatron-LM's preprocess_data.py (MMIDIDX version 1)"
        guard index.count >= 34 else {
            throw DDError.file(indexPath, "truncated: \(index.count) bytes, the header alone needs 34", fix: fix)
        }
        guard Array(index.bytes[0..<9]) == MegatronDataset.magic else {
            throw DDError.file(indexPath, "bad magic at byte offset 0 (expected \"MMIDIDX\\0\\0\")", fix: "name a Megatron-LM .idx file")
        }
        let version = index.load(9, as: UInt64.self)
        guard version == 1 else { throw DDError.file(indexPath, "version \(version) at byte offset 9, expected 1", fix: fix) }
        let dtype = index.load(17, as: UInt8.self)
        switch dtype {
        case 4: tokenBytes = 4
        case 8: tokenBytes = 2
        default:
            throw DDError.file(indexPath, "dtype code \(dtype) at byte offset 17 is not supported (4 = int32, 8 = uint16)",
                               fix: "re-export the tokens as int32 or uint16")
        }
        let n = index.load(18, as: Int64.self), d = index.load(26, as: Int64.self)
        guard n >= 0, d >= 1, n < Int64(1) << 40, d < Int64(1) << 40 else {
            throw DDError.file(indexPath, "implausible counts at byte offset 18: \(n) sequences, \(d) document-index entries", fix: fix)
        }
        sequenceCount = Int(n)
        documentCount = Int(d) - 1
        let expected = 34 + 12 * sequenceCount + 8 * (documentCount + 1)
        guard index.count == expected else {
            throw DDError.file(indexPath, "\(index.count < expected ? "truncated" : "sizes disagree"): \(index.count) bytes, the header's counts (\(n) sequences, \(d) document-index entries) need \(expected)", fix: fix)
        }
        var previous: Int64 = 0
        for i in 0...documentCount {
            let v = index.load(docIndexOffset + 8 * i, as: Int64.self)
            guard v >= previous, v <= n, (i > 0 || v == 0) else {
                throw DDError.file(indexPath, "doc_idx[\(i)] = \(v) at byte offset \(docIndexOffset + 8 * i) is out of order or beyond \(n) sequences", fix: fix)
            }
            previous = v
        }
    }

    /// The tokens of document `i` (its sequences concatenated).
    public func documentTokens(_ i: Int) throws -> [Int32] {
        let first = Int(index.load(docIndexOffset + 8 * i, as: Int64.self))
        let end = Int(index.load(docIndexOffset + 8 * (i + 1), as: Int64.self))
        var out: [Int32] = []
        for s in first..<end {
            let size = Int(index.load(sizesOffset + 4 * s, as: Int32.self))
            let pointer = Int(index.load(pointersOffset + 8 * s, as: Int64.self))
            // Compared without adding: a corrupt pointer near Int64.max would wrap past the check (found by fuzzing).
            guard size >= 0, pointer >= 0, pointer <= data.count, size <= (data.count - pointer) / tokenBytes else {
                throw DDError.file(dataPath, "sequence \(s) (document \(i)) of \(indexPath): \(size) tokens at byte offset \(pointer) lie beyond the file's \(data.count) bytes",
                                   fix: "the .bin and .idx do not belong together or the .bin is truncated")
            }
            out.reserveCapacity(out.count + size)
            if tokenBytes == 2 {
                for j in 0..<size { out.append(Int32(data.load(pointer + 2 * j, as: UInt16.self))) }
            } else {
                for j in 0..<size {
                    let t = data.load(pointer + 4 * j, as: Int32.self)
                    guard t >= 0 else {
                        throw DDError.file(dataPath, "negative token id \(t) at byte offset \(pointer + 4 * j)", fix: "check the dataset's dtype")
                    }
                    out.append(t)
                }
            }
        }
        return out
    }
}

/// One or more Megatron-LM indexed datasets read as one corpus; document ids continue from one to the next.
public struct MegatronSource: DocumentSource {
    /// The datasets, in order.
    public let datasets: [MegatronDataset]
    /// End-of-text id: one trailing end-of-text (as `--append-eod` writes) is dropped, since prepare appends one.
    public let endOfText: Int32

    /// Opens every dataset (each path is a prefix, .idx or .bin).
    public init(paths: [String], endOfText: Int32) throws {
        datasets = try paths.map { try MegatronDataset(path: $0) }
        self.endOfText = endOfText
    }

    /// Hands rank `rank` its documents, read straight from the mapped files.
    public func forEachDocument(rank: Int, worldSize: Int, _ body: (Document) throws -> Void) throws {
        var base = 0
        for ds in datasets {
            // First local index whose global id base+i has the rank's residue.
            var i = ((rank - base) % worldSize + worldSize) % worldSize
            while i < ds.documentCount {
                var tokens = try ds.documentTokens(i)
                if tokens.last == endOfText { tokens.removeLast() }
                try body(Document(id: base + i, content: .tokens(tokens), origin: "\(ds.indexPath) document \(i)"))
                i += worldSize
            }
            base += ds.documentCount
        }
    }
}
