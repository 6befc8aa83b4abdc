/// The work items attention hands to the worker pool, and the one reduction that crosses items.
///
/// A (segment, head) of a short segment is one item. A segment longer than `pieceLength` is cut into at most
/// `maxPieces` pieces, so two long sequences still give the pool enough items to end evenly: the forward cuts the
/// query rows (each query tile is computed exactly as in the uncut head, so the bits do not change), the backward
/// cuts the keys (FlashAttention-2's split: each piece owns dK and dV of its keys and computes them over the same
/// blocks in the same order as the uncut head, and adds a partial dQ over the query rows at and after its first
/// key). The first piece writes dQ itself; the others write their partials to a shared region, added to dQ
/// afterwards piece by piece in key order. How a segment is cut depends only on its length and the tiles, never
/// on the thread count, so every thread count gives the same bits.
extension Attention {
    /// Segments longer than this many tokens are cut into pieces (unless the caller picks another length).
    public static let defaultPieceLength = 1024
    /// At most this many pieces per segment: enough items for a pool of a few threads on a few long sequences,
    /// and the backward's dQ partials stay within 1.5 × the size of dQ (see `partialFloats`).
    static let maxPieces = 4

    /// One item: head `head` of the segment of `length` tokens at `start`, restricted to [from, to) — query rows in
    /// the forward, keys in the backward. `partial` is where a backward piece after the first puts its dQ rows
    /// [from, length) in the shared region (−1: the item writes dQ itself).
    struct Item {
        let start: Int, length: Int, head: Int
        let from: Int, to: Int
        let partial: Int
        /// Query–key pairs the item visits, to hand out the largest first.
        let pairs: Double
    }

    /// Bounds 0 = b₀ < b₁ < … = length of the pieces of one segment, each inner bound a multiple of `unit`.
    static func pieceBounds(length: Int, pieceLength: Int, unit: Int) -> [Int] {
        let pieces = min(maxPieces, max(1, (length + pieceLength - 1) / pieceLength))
        if pieces == 1 { return [0, length] }
        let size = ((length + pieces - 1) / pieces + unit - 1) / unit * unit
        return Array(stride(from: 0, to: length, by: size)) + [length]
    }

    /// The segments of `starts` (empty ones dropped).
    static func segments(_ starts: [Int]) -> [(start: Int, length: Int)] {
        var segments: [(start: Int, length: Int)] = []
        for s in 0..<(starts.count - 1) where starts[s + 1] > starts[s] {
            segments.append((start: starts[s], length: starts[s + 1] - starts[s]))
        }
        return segments
    }

    /// The forward's items, the most pairs first: pieces of query rows cut at multiples of `tile`.
    static func forwardItems(_ starts: [Int], heads: Int, tile: Int, pieceLength: Int) -> [Item] {
        var items: [Item] = []
        for seg in segments(starts) {
            let bounds = pieceBounds(length: seg.length, pieceLength: pieceLength, unit: tile)
            for h in 0..<heads {
                for p in 0..<(bounds.count - 1) {
                    let a = Double(bounds[p]), b = Double(bounds[p + 1])
                    items.append(Item(start: seg.start, length: seg.length, head: h, from: bounds[p], to: bounds[p + 1],
                                      partial: -1, pairs: (b * b - a * a) / 2))
                }
            }
        }
        return largestFirst(items)
    }

    /// The backward's items, the most pairs first: pieces of keys cut at multiples of `keyTile`; the floats of dQ
    /// partials they need (d per query row at or after each later piece's first key); and, per cut (segment,
    /// head), its later pieces in key order (the order `addQueryPartials` adds them in).
    static func backwardItems(_ starts: [Int], heads: Int, d: Int, keyTile: Int,
                              pieceLength: Int) -> (items: [Item], partialFloats: Int, laterPieces: [[Item]]) {
        var items: [Item] = [], laterPieces: [[Item]] = []
        var offset = 0
        for seg in segments(starts) {
            let bounds = pieceBounds(length: seg.length, pieceLength: pieceLength, unit: keyTile)
            for h in 0..<heads {
                var later: [Item] = []
                for p in 0..<(bounds.count - 1) {
                    let a = bounds[p], b = bounds[p + 1], keys = Double(b - a), rows = Double(seg.length - a)
                    let item = Item(start: seg.start, length: seg.length, head: h, from: a, to: b,
                                    partial: p == 0 ? -1 : offset, pairs: keys * rows - keys * keys / 2)
                    items.append(item)
                    if p > 0 { later.append(item); offset += (seg.length - a) * d }
                }
                if !later.isEmpty { laterPieces.append(later) }
            }
        }
        return (largestFirst(items), offset, laterPieces)
    }

    /// An upper bound on `backwardItems(…).partialFloats` for any segments of `maxTokens` tokens in all: a segment
    /// of l tokens in n ≤ `maxPieces` pieces of at least l/n keys has partial rows Σⱼ₌₁ⁿ⁻¹ (l − j·l/n) ≤ l·(n−1)/2.
    static func partialFloats(maxTokens: Int, heads: Int, d: Int) -> Int {
        (maxTokens * (maxPieces - 1) + 1) / 2 * heads * d
    }

    /// Adds the backward pieces' dQ partials to dq (row stride `rowStride`): each group (one cut (segment, head),
    /// its later pieces in key order, from `backwardItems`) in order; the groups touch different rows and run in
    /// parallel.
    static func addQueryPartials(_ groups: [[Item]], partials: UnsafePointer<Float>, dq: UnsafeMutablePointer<Float>,
                                 d: Int, rowStride: Int, pool: WorkerPool) {
        pool.run(items: groups.count) { g, _ in
            for piece in groups[g] {
                let src = partials + piece.partial
                let dst = dq + (piece.start + piece.from) * rowStride + piece.head * d
                for r in 0..<(piece.length - piece.from) { Vector.add(src + r * d, into: dst + r * rowStride, count: d) }
            }
        }
    }

    /// Items sorted by pairs, largest first; ties keep their order (longer segments, then heads, then pieces).
    private static func largestFirst(_ items: [Item]) -> [Item] {
        let order = items.indices.sorted { i, j in
            items[i].pairs != items[j].pairs ? items[i].pairs > items[j].pairs : i < j
        }
        return order.map { items[$0] }
    }
}
