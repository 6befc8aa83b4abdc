/// Decoding tables for DEFLATE's canonical Huffman codes (RFC 1951 §3.2.2).
///
/// A table is indexed by the next `primaryBits` bits of the stream (DEFLATE packs Huffman codes starting
/// from their most significant bit, so entries are placed at bit-reversed codes). Codes longer than
/// `primaryBits` go through a pointer entry to a subtable indexed by the following bits. Each entry is a
/// UInt32:
///
///     bits 0-4   code length in bits (0 = no code here: invalid input)   | pointer: subtable index bits
///     bit  7     pointer to a subtable                                   |
///     bits 8-11  extra bits that follow the code (lengths, distances)
///     bits 12-13 kind: 0 literal byte / distance, 1 end of block, 2 length, 3 invalid symbol
///     bits 16-31 literal byte, length base or distance base          | pointer: subtable offset
///
/// so that one lookup yields everything the decoder needs for a symbol.
enum InflateHuffman {
    static let pointerFlag: UInt32 = 0x80
    static let kindLiteral: UInt32 = 0, kindEnd: UInt32 = 1, kindLength: UInt32 = 2, kindInvalid: UInt32 = 3

    /// Entry payloads (without the code length) of the literal/length alphabet, symbols 0-287.
    static let literalLengthSymbols: [UInt32] = {
        let lengthBase: [UInt32] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59,
                                    67, 83, 99, 115, 131, 163, 195, 227, 258]
        let lengthExtra: [UInt32] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4,
                                     5, 5, 5, 5, 0]
        return (0..<288).map { (s: Int) -> UInt32 in
            if s < 256 { return UInt32(s) << 16 | kindLiteral << 12 }
            if s == 256 { return kindEnd << 12 }
            if s <= 285 { return lengthBase[s - 257] << 16 | lengthExtra[s - 257] << 8 | kindLength << 12 }
            return kindInvalid << 12
        }
    }()

    /// Entry payloads of the distance alphabet, symbols 0-31 (30 and 31 never occur in valid data).
    static let distanceSymbols: [UInt32] = {
        let base: [UInt32] = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769,
                              1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
        return (0..<32).map { (s: Int) -> UInt32 in
            if s >= 30 { return kindInvalid << 12 }
            let extra: UInt32 = s < 4 ? 0 : UInt32(s / 2 - 1)
            return base[s] << 16 | extra << 8
        }
    }()

    /// Payloads of the code-length alphabet (symbols 0-18 stand for themselves).
    static let codeLengthSymbols: [UInt32] = (0..<19).map { UInt32($0) << 16 }

    /// The most entries a table can need: the primary table plus one full subtable per primary slot.
    static func capacity(primaryBits: Int) -> Int { (1 << primaryBits) * (1 + (1 << (15 - primaryBits))) }

    /// Fills `table` for the code given by `lengths` (0 = symbol unused). Returns false when the lengths
    /// over-subscribe the code (more codes than bit patterns), which no valid stream contains. Incomplete
    /// codes are accepted; their unused patterns stay 0 and are rejected if the stream ever uses them.
    static func build(lengths: UnsafeBufferPointer<UInt8>, payloads: [UInt32], primaryBits: Int,
                      table: UnsafeMutablePointer<UInt32>) -> Bool {
        var count = [Int](repeating: 0, count: 16)
        for l in lengths { count[Int(l)] += 1 }
        count[0] = 0
        var left = 1
        for l in 1...15 {
            left = (left << 1) - count[l]
            if left < 0 { return false }
        }
        var next = [Int](repeating: 0, count: 16)
        var code = 0
        for l in 1...15 { code = (code + count[l - 1]) << 1; next[l] = code }

        let primarySize = 1 << primaryBits, primaryMask = primarySize - 1
        table.update(repeating: 0, count: primarySize)
        // Codes and the widest suffix under each primary prefix, to size the subtables.
        var reversed = [Int](repeating: 0, count: lengths.count)
        var subBits = [Int](repeating: 0, count: primarySize)
        for (s, l8) in lengths.enumerated() where l8 > 0 {
            let l = Int(l8)
            reversed[s] = reverse(next[l], l)
            next[l] += 1
            if l > primaryBits {
                let p = reversed[s] & primaryMask
                subBits[p] = max(subBits[p], l - primaryBits)
            }
        }
        var size = primarySize
        for p in 0..<primarySize where subBits[p] > 0 {
            table[p] = UInt32(size) << 16 | pointerFlag | UInt32(subBits[p])
            table.advanced(by: size).update(repeating: 0, count: 1 << subBits[p])
            size += 1 << subBits[p]
        }
        for (s, l8) in lengths.enumerated() where l8 > 0 {
            let l = Int(l8), r = reversed[s]
            let entry = payloads[s] | UInt32(l)
            if l <= primaryBits {
                var i = r
                while i < primarySize { table[i] = entry; i += 1 << l }
            } else {
                let pointer = table[r & primaryMask]
                let base = Int(pointer >> 16), width = 1 << Int(pointer & 0x1F)
                var i = r >> primaryBits
                while i < width { table[base + i] = entry; i += 1 << (l - primaryBits) }
            }
        }
        return true
    }

    /// The low `bits` bits of `code` in reverse order.
    private static func reverse(_ code: Int, _ bits: Int) -> Int {
        var r = 0, c = code
        for _ in 0..<bits { r = r << 1 | (c & 1); c >>= 1 }
        return r
    }
}
