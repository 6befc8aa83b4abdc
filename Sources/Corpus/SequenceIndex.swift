import Support

/// The index of a baseline layout's token file: where each sequence starts and where documents start inside it.
///
/// File layout (little-endian): magic "DDSEQIDX", uint64 version 1, uint64 sequence count n, uint64 start
/// count m, int64 tokenOffsets[n + 1] (token offsets of the sequences in the token file, last = total),
/// int64 startOffsets[n + 1] (sequence i's document starts are starts[startOffsets[i] ..< startOffsets[i+1]]),
/// int32 starts[m] (offsets inside the sequence; each list begins with 0).
public struct SequenceIndex: Equatable {
    public var tokenOffsets: [Int64] = [0]
    public var startOffsets: [Int64] = [0]
    public var starts: [Int32] = []

    /// The magic bytes of an index file.
    public static let magic: [UInt8] = Array("DDSEQIDX".utf8)

    /// An empty index.
    public init() {}

    /// Number of sequences.
    public var count: Int { tokenOffsets.count - 1 }

    /// Records a sequence of `length` tokens with document starts `segmentStarts`.
    public mutating func append(length: Int, segmentStarts: [Int32]) {
        tokenOffsets.append(tokenOffsets.last! + Int64(length))
        starts.append(contentsOf: segmentStarts)
        startOffsets.append(Int64(starts.count))
    }

    /// The file's bytes.
    public func encoded() -> [UInt8] {
        var out = SequenceIndex.magic
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        put(UInt64(1)); put(UInt64(count)); put(UInt64(starts.count))
        for v in tokenOffsets { put(v) }
        for v in startOffsets { put(v) }
        for v in starts { put(v) }
        return out
    }
}

/// A memory-mapped sequence index, checked once when opened.
public struct MappedSequenceIndex {
    let file: MappedFile
    /// Number of sequences.
    public let count: Int
    let startCount: Int

    /// Maps and checks an index file against the token count of its token file.
    public init(path: String, totalTokens: Int) throws {
        file = try MappedFile(path: path)
        let fix = "prepare the dataset again"
        guard file.count >= 32, Array(file.bytes[0..<8]) == SequenceIndex.magic, file.load(8, as: UInt64.self) == 1 else {
            throw DDError.file(path, "not a version-1 sequence index (bad magic or version in the first 16 bytes)", fix: fix)
        }
        count = Int(file.load(16, as: UInt64.self))
        startCount = Int(file.load(24, as: UInt64.self))
        let expected = 32 + 16 * (count + 1) + 4 * startCount
        guard count >= 0, startCount >= 0, file.count == expected else {
            throw DDError.file(path, "size \(file.count) bytes disagrees with its header (\(count) sequences, \(startCount) starts need \(expected))", fix: fix)
        }
        guard Int(file.load(32 + 8 * count, as: Int64.self)) == totalTokens else {
            throw DDError.file(path, "sequence offsets end at \(file.load(32 + 8 * count, as: Int64.self)) tokens but the token file holds \(totalTokens)", fix: fix)
        }
        // Offsets must rise and end at the totals, or a later read would leave the mapped files.
        let startsBase = 32 + 8 * (count + 1)
        var lastToken: Int64 = 0, lastStart: Int64 = 0
        for i in 0...count {
            let t = file.load(32 + 8 * i, as: Int64.self), s = file.load(startsBase + 8 * i, as: Int64.self)
            guard t >= lastToken, s >= lastStart, (i > 0 || (t == 0 && s == 0)) else {
                throw DDError.file(path, "offsets of sequence \(i) are out of order", fix: fix)
            }
            lastToken = t; lastStart = s
        }
        guard Int(lastStart) == startCount else {
            throw DDError.file(path, "document-start offsets end at \(lastStart), the header says \(startCount)", fix: fix)
        }
    }

    /// Token range of sequence `i` in the token file.
    @inline(__always) public func tokenRange(_ i: Int) -> Range<Int> {
        Int(file.load(32 + 8 * i, as: Int64.self))..<Int(file.load(32 + 8 * (i + 1), as: Int64.self))
    }

    /// Document starts inside sequence `i`.
    public func documentStarts(_ i: Int) -> [Int] {
        let base = 32 + 8 * (count + 1)
        let a = Int(file.load(base + 8 * i, as: Int64.self)), b = Int(file.load(base + 8 * (i + 1), as: Int64.self))
        let startsBase = base + 8 * (count + 1)
        return (a..<b).map { Int(file.load(startsBase + 4 * $0, as: Int32.self)) }
    }
}
