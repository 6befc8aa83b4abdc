import Synchronization

/// A thread-safe cache from a pre-token's bytes to its BPE ids.
///
/// Natural text repeats a small set of words, so nearly every piece is found here and BPE runs only on the
/// first occurrence. The table is open-addressed with keys and ids kept in two flat arenas (no per-entry
/// allocation). It is bounded: when it would pass `maxEntries` it is emptied and refilled, which keeps
/// memory flat on corpora with unbounded vocabularies (numbers, URLs) at no cost to correctness.
final class GPT2WordCache: Sendable {
    private let table: Mutex<Table>
    /// Entries kept before the cache starts over.
    let maxEntries: Int

    init(maxEntries: Int = 1 << 19) {
        self.maxEntries = maxEntries
        table = Mutex(Table())
    }

    /// A hash of `count` bytes at `p` (never 0, which marks an empty slot).
    @inline(__always) static func hash(_ p: UnsafePointer<UInt8>, _ count: Int) -> UInt64 {
        var h: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(count)
        var i = 0
        let raw = UnsafeRawPointer(p)
        while i + 8 <= count {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 29
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < count { tail |= UInt64(p[i]) << shift; shift += 8; i += 1 }
        h = (h ^ tail) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 31
        return h | 1
    }

    /// Appends the cached ids of the word to `out` and returns true, or returns false when absent.
    @inline(__always) func lookup(_ p: UnsafePointer<UInt8>, _ count: Int, hash: UInt64, into out: inout [Int32]) -> Bool {
        table.withLock { $0.lookup(p, count, hash: hash, into: &out) }
    }

    /// Records the ids of a word.
    func insert(_ p: UnsafePointer<UInt8>, _ count: Int, hash: UInt64, ids: [Int32]) {
        let limit = maxEntries
        table.withLock { t in
            if t.count >= limit { t = Table() }
            t.insert(p, count, hash: hash, ids: ids)
        }
    }

    /// Number of words cached now.
    var count: Int { table.withLock { $0.count } }

    /// The open-addressing table behind the lock.
    struct Table {
        var hashes = [UInt64](repeating: 0, count: 4096)
        /// Per slot: key offset, key length, ids offset, ids count.
        var slots = [SIMD4<Int32>](repeating: .zero, count: 4096)
        var keyBytes: [UInt8] = []
        var idArena: [Int32] = []
        var count = 0

        func lookup(_ p: UnsafePointer<UInt8>, _ n: Int, hash: UInt64, into out: inout [Int32]) -> Bool {
            let mask = hashes.count - 1
            var i = Int(truncatingIfNeeded: hash >> 7) & mask
            while true {
                let h = hashes[i]
                if h == 0 { return false }
                if h == hash {
                    let s = slots[i]
                    if Int(s[1]) == n && keyBytes.withUnsafeBufferPointer({ memoryEqual($0.baseAddress! + Int(s[0]), p, n) }) {
                        idArena.withUnsafeBufferPointer { ids in
                            out.append(contentsOf: UnsafeBufferPointer(rebasing: ids[Int(s[2])..<Int(s[2] + s[3])]))
                        }
                        return true
                    }
                }
                i = (i + 1) & mask
            }
        }

        mutating func insert(_ p: UnsafePointer<UInt8>, _ n: Int, hash: UInt64, ids: [Int32]) {
            var probe: [Int32] = []
            if lookup(p, n, hash: hash, into: &probe) { return }  // another thread got there first
            if (count + 1) * 2 > hashes.count { grow() }
            let entry = SIMD4<Int32>(Int32(keyBytes.count), Int32(n), Int32(idArena.count), Int32(ids.count))
            keyBytes.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
            idArena.append(contentsOf: ids)
            place(hash, entry)
            count += 1
        }

        private mutating func place(_ hash: UInt64, _ entry: SIMD4<Int32>) {
            let mask = hashes.count - 1
            var i = Int(truncatingIfNeeded: hash >> 7) & mask
            while hashes[i] != 0 { i = (i + 1) & mask }
            hashes[i] = hash
            slots[i] = entry
        }

        private mutating func grow() {
            let oldHashes = hashes, oldSlots = slots
            hashes = [UInt64](repeating: 0, count: oldHashes.count * 2)
            slots = [SIMD4<Int32>](repeating: .zero, count: oldHashes.count * 2)
            for i in 0..<oldHashes.count where oldHashes[i] != 0 { place(oldHashes[i], oldSlots[i]) }
        }
    }
}

/// Whether `n` bytes at `a` and `b` are equal.
@inline(__always) private func memoryEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    var i = 0
    while i + 8 <= n {
        if UnsafeRawPointer(a).loadUnaligned(fromByteOffset: i, as: UInt64.self)
            != UnsafeRawPointer(b).loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
        i += 8
    }
    while i < n { if a[i] != b[i] { return false }; i += 1 }
    return true
}
