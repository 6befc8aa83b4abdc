/// Best-fit-decreasing bin packing (the packing baseline of method.md §6).
///
/// Items are placed longest first, each into the open bin with the least room that still fits it, or a new bin.
/// Bins with equal room are interchangeable for every later decision, so the bin count and the multiset of bin
/// fills do not depend on how ties between them are broken.
public enum BestFitPacker {
    /// Packs items of `lengths` (each ≤ capacity) into bins of `capacity`; returns the bins as lists of item
    /// indices in placement order. Ties between equal lengths keep input order (a stable sort), so the result is
    /// deterministic.
    public static func pack(lengths: [Int], capacity: Int) -> [[Int]] {
        precondition(lengths.allSatisfy { $0 > 0 && $0 <= capacity }, "items must fit in a bin")
        let order = lengths.indices.sorted { lengths[$0] != lengths[$1] ? lengths[$0] > lengths[$1] : $0 < $1 }
        var bins: [[Int]] = []
        // byRoom[r] lists open bins with exactly r free tokens; `occupied` marks non-empty lists as bits so that
        // the smallest room ≥ an item's length is found by scanning words, not every room value.
        var byRoom = [[Int]](repeating: [], count: capacity + 1)
        var occupied = [UInt64](repeating: 0, count: capacity / 64 + 1)
        func mark(_ r: Int) { occupied[r >> 6] |= 1 << UInt64(r & 63) }
        func unmark(_ r: Int) { occupied[r >> 6] &= ~(1 << UInt64(r & 63)) }
        func smallestRoom(atLeast need: Int) -> Int? {
            var w = need >> 6
            var word = occupied[w] & (~0 << UInt64(need & 63))
            while true {
                if word != 0 { return w << 6 + word.trailingZeroBitCount }
                w += 1
                guard w < occupied.count else { return nil }
                word = occupied[w]
            }
        }
        for item in order {
            let need = lengths[item]
            let bin: Int
            if let room = smallestRoom(atLeast: need) {
                bin = byRoom[room].removeLast()
                if byRoom[room].isEmpty { unmark(room) }
                let left = room - need
                if left > 0 { byRoom[left].append(bin); mark(left) }
            } else {
                bin = bins.count
                bins.append([])
                let left = capacity - need
                if left > 0 { byRoom[left].append(bin); mark(left) }
            }
            bins[bin].append(item)
        }
        return bins
    }
}

/// Streams documents into packed sequences: whole documents of ≤ L + 1 tokens, longer ones cut into L + 1-token
/// pieces (the remainder is an item too), packed best-fit-decreasing into bins of L + 1 tokens.
///
/// Packing a whole shard at once would need all of it in memory, so documents are packed in blocks of about
/// `blockTokens` tokens; each block is packed independently (deterministically), which costs a little fill.
public struct PackingBuffer {
    /// Bin capacity (L + 1).
    public let capacity: Int
    /// Tokens gathered before a block is packed.
    public let blockTokens: Int
    private var tokens: [Int32] = []
    private var items: [(start: Int, count: Int)] = []

    /// A buffer for trained length `length`.
    public init(length: Int, blockTokens: Int = 1 << 22) {
        capacity = length + 1
        self.blockTokens = max(blockTokens, capacity)
    }

    /// Adds a document (end-of-text included); emits packed sequences `(tokens, segmentStarts)` when a block is full.
    public mutating func add(_ document: UnsafeBufferPointer<Int32>, emit: ([Int32], [Int32]) throws -> Void) rethrows {
        var i = 0
        while i < document.count {
            let n = min(capacity, document.count - i)
            items.append((tokens.count + i, n))
            i += n
        }
        tokens.append(contentsOf: document)
        if tokens.count >= blockTokens { try flush(emit: emit) }
    }

    /// Packs and emits what is buffered.
    public mutating func flush(emit: ([Int32], [Int32]) throws -> Void) rethrows {
        guard !items.isEmpty else { return }
        let bins = BestFitPacker.pack(lengths: items.map(\.count), capacity: capacity)
        var seq: [Int32] = [], starts: [Int32] = []
        for bin in bins {
            seq.removeAll(keepingCapacity: true)
            starts.removeAll(keepingCapacity: true)
            for item in bin {
                starts.append(Int32(seq.count))
                let it = items[item]
                seq.append(contentsOf: tokens[it.start..<(it.start + it.count)])
            }
            try emit(seq, starts)
        }
        tokens.removeAll(keepingCapacity: true)
        items.removeAll(keepingCapacity: true)
    }
}
