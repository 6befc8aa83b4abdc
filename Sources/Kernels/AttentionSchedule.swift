/// The order in which attention visits the blocks of one (segment, head) of `length` tokens, shared by the fp32
/// and bf16 paths so they compute the same blocks in the same order.
///
/// A block is query rows [r0, r0+rows) against keys [c0, c0+cols), c0 a multiple of 16. Blocks wholly above the
/// diagonal are never visited; blocks below it are whole tiles without a mask; the diagonal is cut into strips of
/// `strip` rows, each against the keys up to its own last row.
enum AttentionSchedule {
    /// Forward: query tiles of `tile` rows in order, from row `from` (a multiple of `tile`). For each:
    /// `begin(r0, rows)`, then `block(r0, rows, c0, cols, offset)` for the key tiles before it and then its
    /// diagonal strips (`offset` = the block's first row within the query tile), then `end(r0, rows)`.
    @inline(__always)
    static func forward(length: Int, from: Int = 0, tile: Int, keyTile: Int, strip: Int, begin: (Int, Int) -> Void,
                        block: (_ r0: Int, _ rows: Int, _ c0: Int, _ cols: Int, _ offset: Int) -> Void,
                        end: (Int, Int) -> Void) {
        var r0 = from
        while r0 < length {
            let br = min(tile, length - r0)
            begin(r0, br)
            var c0 = 0
            while c0 < r0 {
                let bc = min(keyTile, r0 - c0)
                block(r0, br, c0, bc, 0)
                c0 += bc
            }
            var s0 = 0
            while s0 < br {
                let sr = min(strip, br - s0)
                block(r0 + s0, sr, r0, s0 + sr, s0)
                s0 += sr
            }
            end(r0, br)
            r0 += br
        }
    }

    /// Backward: key tiles of `keyTile` keys in order, up to key `keys`; for each, the diagonal strips of the rows
    /// inside it, then the later query tiles (whole, no mask), as `block(r0, rows, c0, cols)`.
    @inline(__always)
    static func backward(length: Int, keys: Int, tile: Int, keyTile: Int, strip: Int,
                         block: (_ r0: Int, _ rows: Int, _ c0: Int, _ cols: Int) -> Void) {
        var c0 = 0
        while c0 < keys {
            let bc = min(keyTile, keys - c0)
            var s0 = 0
            while s0 < bc {
                let sr = min(strip, bc - s0)
                block(c0 + s0, sr, c0, s0 + sr)
                s0 += sr
            }
            var r0 = c0 + bc
            while r0 < length {
                let br = min(tile, length - r0)
                block(r0, br, c0, bc)
                r0 += br
            }
            c0 += bc
        }
    }
}
