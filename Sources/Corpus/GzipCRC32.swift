/// CRC-32 as used by gzip (RFC 1952: polynomial 0xEDB88320 reflected, initial and final XOR 0xFFFFFFFF).
///
/// Slicing-by-8 (eight 256-entry tables, eight bytes per step) so that checking a member costs little next
/// to inflating it; a byte-at-a-time table would run at roughly the speed of the decoder itself.
enum GzipCRC32 {
    /// tables[k][b] = CRC contribution of byte b followed by k zero bytes, flattened (k * 256 + b).
    static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for b in 0..<256 {
            var c = UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            t[b] = c
        }
        for k in 1..<8 {
            for b in 0..<256 {
                let prev = t[(k - 1) * 256 + b]
                t[k * 256 + b] = (prev >> 8) ^ t[Int(prev & 0xFF)]
            }
        }
        return t
    }()

    /// The CRC of `count` bytes at `p`, continuing from the CRC `crc` of the bytes before them (0 to start).
    static func update(_ crc: UInt32, _ p: UnsafePointer<UInt8>, _ count: Int) -> UInt32 {
        var c = ~crc
        var i = 0
        tables.withUnsafeBufferPointer { t in
            let raw = UnsafeRawPointer(p)
            while i + 8 <= count {
                let lo = raw.loadUnaligned(fromByteOffset: i, as: UInt32.self).littleEndian ^ c
                let hi = raw.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self).littleEndian
                c = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                    ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                i += 8
            }
            while i < count {
                c = (c >> 8) ^ t[Int((c ^ UInt32(p[i])) & 0xFF)]
                i += 1
            }
        }
        return ~c
    }

    /// The CRC of a whole byte array.
    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { update(0, $0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
    }
}
