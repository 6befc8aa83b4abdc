import Support

/// gzip decompression (RFC 1952 members around RFC 1951 DEFLATE data), written in Swift without zlib.
///
/// Handles every header flag (FTEXT, FHCRC, FEXTRA, FNAME, FCOMMENT), checks each member's CRC-32 and
/// ISIZE, and reads multi-member files (as made by `cat a.gz b.gz`) as one stream. Trailing zero bytes
/// after the last member are ignored, as GNU gzip does; anything else there is an error.
public enum Gzip {
    /// The decompressed bytes of a whole gzip file held in memory; `source` names it in errors.
    public static func decompress(_ bytes: [UInt8], source: String = "<gzip data>") throws -> [UInt8] {
        try bytes.withUnsafeBufferPointer { buf in
            let stream = GzipStream(input: InflateInput(memory: buf, name: source))
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count * 3)
            while let chunk = try stream.nextChunk() { out.append(contentsOf: chunk) }
            return out
        }
    }

    /// The decompressed bytes of a gzip file on disk (read in pieces, so the compressed file may be large).
    public static func decompress(path: String) throws -> [UInt8] {
        let stream = GzipStream(input: try InflateInput(path: path))
        var out: [UInt8] = []
        while let chunk = try stream.nextChunk() { out.append(contentsOf: chunk) }
        return out
    }

    /// The CRC-32 of `bytes` as gzip computes it (e.g. 0xCBF43926 for "123456789").
    public static func crc32(_ bytes: [UInt8]) -> UInt32 { GzipCRC32.checksum(bytes) }
}

/// Decodes the members of a gzip input one chunk at a time.
final class GzipStream {
    private let input: InflateInput
    private let inflater: Inflater
    private var inMember = false
    private var members = 0
    private var crc: UInt32 = 0
    private var size: UInt32 = 0
    private var done = false

    init(input: InflateInput, chunkSize: Int = 1 << 20) {
        self.input = input
        inflater = Inflater(input: input, chunkSize: chunkSize)
    }

    /// The next piece of output (valid until the next call), or nil at the end of the last member.
    func nextChunk() throws -> UnsafeBufferPointer<UInt8>? {
        while !done {
            if !inMember {
                if try !startMember() { done = true; break }
                continue
            }
            let chunk = try inflater.nextChunk()
            if let base = chunk.baseAddress, chunk.count > 0 {
                crc = GzipCRC32.update(crc, base, chunk.count)
                size = size &+ UInt32(truncatingIfNeeded: chunk.count)
                return chunk
            }
            if inflater.finished { try finishMember() }
        }
        return nil
    }

    /// Reads a member header; false at a clean end of input (after at least one member).
    private func startMember() throws -> Bool {
        input.alignToByte()
        if members > 0 {
            if try input.atEnd() { return false }
            if try skipZeroPadding() { return false }
        } else if try input.atEnd() {
            throw input.error("is empty, not gzip data", fix: "give a file made by gzip")
        }
        var headerCRC: UInt32 = 0
        func byte() throws -> UInt8 {
            var b = try input.readByte()
            try input.checkNotTruncated()
            headerCRC = GzipCRC32.update(headerCRC, &b, 1)
            return b
        }
        let id1 = try byte(), id2 = try byte()
        guard id1 == 0x1F, id2 == 0x8B else {
            throw input.error(members == 0 ? "not gzip data (bad magic bytes)" : "unexpected data after gzip member \(members)",
                              fix: members == 0 ? "give a file made by gzip" : "remove the trailing bytes or recompress the file")
        }
        guard try byte() == 8 else { throw input.error("unsupported compression method (only DEFLATE, 8, exists)") }
        let flags = try byte()
        guard flags & 0xE0 == 0 else { throw input.error("reserved header flags are set") }
        for _ in 0..<6 { _ = try byte() }  // MTIME, XFL, OS
        if flags & 0x04 != 0 {  // FEXTRA
            let n = Int(try byte()) | Int(try byte()) << 8
            for _ in 0..<n { _ = try byte() }
        }
        if flags & 0x08 != 0 { while try byte() != 0 {} }  // FNAME
        if flags & 0x10 != 0 { while try byte() != 0 {} }  // FCOMMENT
        if flags & 0x02 != 0 {  // FHCRC: the low 16 bits of the CRC-32 of the header so far
            let expected = headerCRC & 0xFFFF
            let stored = UInt32(try input.readByte()) | UInt32(try input.readByte()) << 8
            guard stored == expected else { throw input.error("header CRC mismatch in gzip member \(members + 1)") }
        }
        inflater.reset()
        crc = 0; size = 0
        inMember = true
        members += 1
        return true
    }

    /// Checks the CRC-32 and ISIZE trailer of the member just inflated.
    private func finishMember() throws {
        input.alignToByte()
        var stored: [UInt32] = [0, 0]
        for k in 0..<2 {
            for i in 0..<4 { stored[k] |= UInt32(try input.readByte()) << (8 * i) }
        }
        try input.checkNotTruncated()
        guard stored[0] == crc else {
            throw input.error("CRC-32 mismatch in gzip member \(members): stored \(hex(stored[0])), data gives \(hex(crc))")
        }
        guard stored[1] == size else {
            throw input.error("length mismatch in gzip member \(members): trailer says \(stored[1]) bytes (mod 2^32), data has \(size)")
        }
        inMember = false
    }

    /// After the last member: true if the rest of the input is zero bytes (skipped), false if a byte is
    /// non-zero (left unread).
    private func skipZeroPadding() throws -> Bool {
        if input.bitCount >= 8 && input.bits & 0xFF != 0 { return false }
        if input.bitCount < 8, input.next < input.end, input.next.pointee != 0 { return false }
        while try !input.atEnd() {
            guard try input.readByte() == 0 else { throw input.error("unexpected non-zero bytes after the zero padding that follows the last gzip member") }
        }
        return true
    }

    private func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16, uppercase: true) }
}
