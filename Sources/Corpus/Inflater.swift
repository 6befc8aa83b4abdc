import Support

/// A DEFLATE decoder (RFC 1951): stored, fixed-Huffman and dynamic-Huffman blocks, decoded in chunks.
///
/// Output goes to a window buffer that keeps the last 32 KiB (the farthest a match may reach back) in
/// front of each new chunk, so memory stays bounded whatever the stream's size. A chunk ends when fewer
/// than 258 bytes (the longest match) of room remain, so a match never has to be split across chunks.
final class Inflater {
    let input: InflateInput
    private static let history = 32_768
    private static let slack = 258 + 16
    /// Where a chunk stops taking new symbols.
    private let limit: Int
    private let window: UnsafeMutablePointer<UInt8>
    /// Bytes of the window already produced; the next chunk starts at `delivered`.
    private var position = 0
    private var delivered = 0
    /// Bytes produced by this stream before the window's byte 0 (to check match distances).
    private var streamOffset = 0

    private enum Block { case header, stored(remaining: Int), huffman }
    private var block = Block.header
    private var lastBlock = false
    /// True once the final block has ended.
    private(set) var finished = false

    private static let literalPrimaryBits = 10, distancePrimaryBits = 8
    private let literalTable: UnsafeMutablePointer<UInt32>
    private let distanceTable: UnsafeMutablePointer<UInt32>
    private let lengths = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 320)

    init(input: InflateInput, chunkSize: Int = 1 << 20) {
        self.input = input
        limit = Self.history + max(chunkSize, 4096)
        window = .allocate(capacity: limit + Self.slack)
        literalTable = .allocate(capacity: InflateHuffman.capacity(primaryBits: Self.literalPrimaryBits))
        distanceTable = .allocate(capacity: InflateHuffman.capacity(primaryBits: Self.distancePrimaryBits))
    }

    deinit {
        window.deallocate(); literalTable.deallocate(); distanceTable.deallocate(); lengths.deallocate()
    }

    /// Starts a new stream (the next gzip member) at the current input position.
    func reset() {
        position = 0; delivered = 0; streamOffset = 0
        block = .header; lastBlock = false; finished = false
    }

    /// Decodes the next chunk of output; empty only when the stream has finished. The buffer is valid
    /// until the next call.
    func nextChunk() throws -> UnsafeBufferPointer<UInt8> {
        if position >= limit {
            // Keep the last 32 KiB as history for matches and start the next chunk after it.
            let keep = Self.history
            window.update(from: window + (position - keep), count: keep)
            streamOffset += position - keep
            position = keep; delivered = keep
        }
        while !finished && position < limit {
            switch block {
            case .header: try readBlockHeader()
            case .stored(let remaining):
                let n = try input.copyBytes(to: window + position, count: min(remaining, limit - position))
                if n == 0 { throw input.error("unexpected end of data in a stored block (truncated file)") }
                position += n
                block = remaining == n ? .header : .stored(remaining: remaining - n)
            case .huffman: try decodeHuffman()
            }
            if case .header = block, lastBlock { finished = true }
        }
        // Bytes decoded from the zero padding past a truncated end must never reach the caller.
        try input.checkNotTruncated()
        let chunk = UnsafeBufferPointer(start: window + delivered, count: position - delivered)
        delivered = position
        return chunk
    }

    private func readBlockHeader() throws {
        let header = try input.readBits(3)
        lastBlock = header & 1 == 1
        switch header >> 1 {
        case 0:
            input.alignToByte()
            let len = try input.readBits(16), nlen = try input.readBits(16)
            guard len == ~nlen & 0xFFFF else { throw input.error("corrupt stored block (length check failed)") }
            block = len == 0 ? .header : .stored(remaining: Int(len))
        case 1:
            for i in 0..<288 { lengths[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8 }
            _ = InflateHuffman.build(lengths: UnsafeBufferPointer(rebasing: lengths[0..<288]),
                                     payloads: InflateHuffman.literalLengthSymbols,
                                     primaryBits: Self.literalPrimaryBits, table: literalTable)
            for i in 0..<32 { lengths[i] = 5 }
            _ = InflateHuffman.build(lengths: UnsafeBufferPointer(rebasing: lengths[0..<32]),
                                     payloads: InflateHuffman.distanceSymbols,
                                     primaryBits: Self.distancePrimaryBits, table: distanceTable)
            block = .huffman
        case 2:
            try readDynamicTables()
            block = .huffman
        default:
            throw input.error("invalid block type 3")
        }
    }

    /// Reads the code-length code, then the literal/length and distance code lengths (RFC 1951 §3.2.7).
    private func readDynamicTables() throws {
        let literals = Int(try input.readBits(5)) + 257
        let distances = Int(try input.readBits(5)) + 1
        let codeLengthCount = Int(try input.readBits(4)) + 4
        guard literals <= 286, distances <= 30 else { throw input.error("too many length or distance codes in a block header") }
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        var codeLengths = [UInt8](repeating: 0, count: 19)
        for i in 0..<codeLengthCount { codeLengths[order[i]] = UInt8(try input.readBits(3)) }
        let ok = codeLengths.withUnsafeBufferPointer {
            InflateHuffman.build(lengths: $0, payloads: InflateHuffman.codeLengthSymbols, primaryBits: 7, table: literalTable)
        }
        guard ok else { throw input.error("invalid code-length code in a block header") }
        let total = literals + distances
        var i = 0
        while i < total {
            try input.refill()
            let e = literalTable[Int(input.bits & 0x7F)]
            let len = Int(e & 0x1F)
            guard len > 0 else { throw input.error("invalid code-length symbol in a block header") }
            _ = input.take(len)
            let symbol = Int(e >> 16)
            var value: UInt8 = 0, repeats = 1
            switch symbol {
            case 0...15: value = UInt8(symbol)
            case 16:
                guard i > 0 else { throw input.error("repeat code with no previous length in a block header") }
                value = lengths[i - 1]; repeats = 3 + Int(input.take(2))
            case 17: repeats = 3 + Int(input.take(3))
            default: repeats = 11 + Int(input.take(7))
            }
            guard i + repeats <= total else { throw input.error("code lengths overrun in a block header") }
            for k in i..<(i + repeats) { lengths[k] = value }
            i += repeats
        }
        guard lengths[256] > 0 else { throw input.error("block has no end-of-block code") }
        let literalOK = InflateHuffman.build(lengths: UnsafeBufferPointer(rebasing: lengths[0..<literals]),
                                             payloads: InflateHuffman.literalLengthSymbols,
                                             primaryBits: Self.literalPrimaryBits, table: literalTable)
        let distanceOK = InflateHuffman.build(lengths: UnsafeBufferPointer(rebasing: lengths[literals..<total]),
                                              payloads: InflateHuffman.distanceSymbols,
                                              primaryBits: Self.distancePrimaryBits, table: distanceTable)
        guard literalOK, distanceOK else { throw input.error("over-subscribed Huffman code in a block header") }
    }

    /// Decodes symbols of a Huffman block until it ends or the chunk is full. The bit buffer lives in
    /// locals here (written back before anything that can throw or refill), which keeps it in registers.
    private func decodeHuffman() throws {
        let lit = literalTable, dist = distanceTable, out = window
        let litMask = UInt64(1 << Self.literalPrimaryBits - 1), distMask = UInt64(1 << Self.distancePrimaryBits - 1)
        let litBits = UInt64(Self.literalPrimaryBits), distBits = UInt64(Self.distancePrimaryBits)
        var pos = position
        defer { position = pos }
        while pos < limit {
            try input.refill()
            var bits = input.bits, count = input.bitCount
            var e = lit[Int(bits & litMask)]
            if e & InflateHuffman.pointerFlag != 0 {
                e = lit[Int(e >> 16) + Int((bits >> litBits) & ((1 << UInt64(e & 0x1F)) - 1))]
            }
            var len = UInt64(e & 0x1F)
            let kind = (e >> 12) & 3
            if kind == InflateHuffman.kindLiteral && len != 0 {
                bits >>= len; count -= Int(len)
                out[pos] = UInt8(truncatingIfNeeded: e >> 16)
                pos += 1
                // A second literal without a refill: at least 41 bits remain, and a code has at most 15.
                var e2 = lit[Int(bits & litMask)]
                if e2 & InflateHuffman.pointerFlag != 0 {
                    e2 = lit[Int(e2 >> 16) + Int((bits >> litBits) & ((1 << UInt64(e2 & 0x1F)) - 1))]
                }
                let len2 = UInt64(e2 & 0x1F)
                if (e2 >> 12) & 3 == InflateHuffman.kindLiteral && len2 != 0 {
                    bits >>= len2; count -= Int(len2)
                    out[pos] = UInt8(truncatingIfNeeded: e2 >> 16)
                    pos += 1
                }
                input.bits = bits; input.bitCount = count
                continue
            }
            guard len != 0 else { throw input.error("invalid literal/length code") }
            bits >>= len; count -= Int(len)
            if kind == InflateHuffman.kindEnd {
                input.bits = bits; input.bitCount = count
                block = .header
                return
            }
            guard kind == InflateHuffman.kindLength else { throw input.error("invalid literal/length symbol") }
            let extra = UInt64((e >> 8) & 0xF)
            let length = Int(e >> 16) + Int(bits & ((1 << extra) - 1))
            bits >>= extra; count -= Int(extra)
            var d = dist[Int(bits & distMask)]
            if d & InflateHuffman.pointerFlag != 0 {
                d = dist[Int(d >> 16) + Int((bits >> distBits) & ((1 << UInt64(d & 0x1F)) - 1))]
            }
            len = UInt64(d & 0x1F)
            guard len != 0, (d >> 12) & 3 != InflateHuffman.kindInvalid else {
                input.bits = bits; input.bitCount = count
                throw input.error("invalid distance code")
            }
            bits >>= len; count -= Int(len)
            let dExtra = UInt64((d >> 8) & 0xF)
            let distance = Int(d >> 16) + Int(bits & ((1 << dExtra) - 1))
            bits >>= dExtra; count -= Int(dExtra)
            input.bits = bits; input.bitCount = count
            guard distance <= streamOffset + pos else { throw input.error("match distance \(distance) reaches before the start of the data") }
            copyMatch(to: pos, distance: distance, length: length)
            pos += length
        }
    }

    /// Copies `length` bytes from `distance` back; may write up to 7 bytes past the end (into the slack).
    @inline(__always) private func copyMatch(to pos: Int, distance: Int, length: Int) {
        let dst = window + pos
        let src = UnsafePointer(dst - distance)
        if distance >= 8 {
            // Each 8-byte load ends at or before the store position, so overlap is safe.
            var i = 0
            while i < length {
                UnsafeMutableRawPointer(dst + i).storeBytes(of: UnsafeRawPointer(src + i).loadUnaligned(as: UInt64.self), as: UInt64.self)
                i += 8
            }
        } else if distance == 1 {
            dst.update(repeating: src.pointee, count: length)
        } else {
            for i in 0..<length { dst[i] = src[i] }
        }
    }
}
