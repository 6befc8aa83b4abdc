import Support
#if canImport(Glibc)
import Glibc
#endif

/// The compressed bytes and the bit buffer DEFLATE reads them through (least significant bit first).
///
/// The input is either a caller's memory (borrowed for the decoder's lifetime) or a file read in 1 MiB
/// pieces, so a file of any size streams. Past the real end the buffer is padded with zero bytes; using
/// any padding bit means the data was truncated, which `refill` reports with the byte offset.
final class InflateInput {
    /// Names the input in error messages.
    let name: String
    private let fd: Int32
    private var owned: UnsafeMutableBufferPointer<UInt8>?
    /// Unread bytes are `next..<end`.
    var next: UnsafePointer<UInt8>
    var end: UnsafePointer<UInt8>
    /// Offset in the whole input of the byte at `bufferStart`.
    private var bufferOffset = 0
    private var bufferStart: UnsafePointer<UInt8>
    private var atEOF: Bool
    /// Bits not yet consumed, least significant first, and how many of them are valid.
    var bits: UInt64 = 0
    var bitCount = 0
    /// Zero bytes appended after the real end.
    var padBytes = 0

    /// Reads from memory that outlives this object.
    init(memory: UnsafeBufferPointer<UInt8>, name: String) {
        self.name = name
        fd = -1
        let base = memory.baseAddress ?? UnsafePointer(bitPattern: 8)!
        next = base; end = base + memory.count; bufferStart = base
        atEOF = true
    }

    /// Reads a file in pieces of `bufferSize` bytes (at least 64).
    init(path: String, bufferSize: Int = 1 << 20) throws {
        name = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw DDError.file(path, FileIO.exists(path) ? "cannot open for reading" : "not found", fix: "check the path")
        }
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bufferSize, 64))
        owned = buffer
        let base = UnsafePointer(buffer.baseAddress!)
        next = base; end = base; bufferStart = base
        atEOF = false
    }

    deinit {
        if fd >= 0 { close(fd) }
        owned?.deallocate()
    }

    /// Offset in the input of the next unconsumed bit's byte (for error messages).
    var byteOffset: Int { bufferOffset + (next - bufferStart) - bitCount / 8 + padBytes }

    /// An error at the current position.
    func error(_ problem: String, fix: String = "the file is damaged; obtain or compress it again") -> DDError {
        DDError.file(name, "\(problem) at compressed byte offset \(byteOffset)", fix: fix)
    }

    /// Tops the bit buffer up to 56-63 bits. Fast when 8 bytes are at hand, else reads more input
    /// or pads with zeros, and throws if bits beyond the real end have already been consumed.
    @inline(__always) func refill() throws {
        if end - next >= 8 {
            bits |= UnsafeRawPointer(next).loadUnaligned(as: UInt64.self).littleEndian << UInt64(bitCount)
            next += (63 - bitCount) >> 3
            bitCount |= 56
        } else {
            try slowRefill()
        }
    }

    private func slowRefill() throws {
        if !atEOF { try readMore() }
        if end - next >= 8 { try refill(); return }
        if padBytes * 8 > bitCount { throw error("unexpected end of data (truncated file)") }
        while bitCount < 56 {
            if next < end {
                bits |= UInt64(next.pointee) << UInt64(bitCount)
                next += 1
            } else {
                padBytes += 1
            }
            bitCount += 8
        }
    }

    /// Moves the unread bytes to the front of the file buffer and reads after them.
    private func readMore() throws {
        guard let buffer = owned else { atEOF = true; return }
        let base = buffer.baseAddress!
        let keep = end - next
        bufferOffset += next - bufferStart
        if keep > 0 { base.update(from: UnsafeMutablePointer(mutating: next), count: keep) }
        var filled = keep
        while filled < buffer.count {
            let n = read(fd, base + filled, buffer.count - filled)
            if n < 0 { if errno == EINTR { continue }; throw DDError.file(name, "read failed (errno \(errno))", fix: "check the file and the disk") }
            if n == 0 { atEOF = true; break }
            filled += n
        }
        bufferStart = UnsafePointer(base); next = bufferStart; end = bufferStart + filled
    }

    /// Takes `n` bits (n ≤ 32) after `refill`.
    @inline(__always) func take(_ n: Int) -> UInt32 {
        let v = UInt32(truncatingIfNeeded: bits & ((1 << UInt64(n)) - 1))
        bits >>= UInt64(n); bitCount -= n
        return v
    }

    /// Reads `n` bits (n ≤ 32), refilling as needed.
    func readBits(_ n: Int) throws -> UInt32 {
        if bitCount < n { try refill() }
        return take(n)
    }

    /// Drops the bits up to the next byte boundary.
    func alignToByte() { _ = take(bitCount & 7) }

    /// Reads one whole byte (the stream must be byte-aligned).
    func readByte() throws -> UInt8 { UInt8(try readBits(8)) }

    /// Throws if any padding beyond the real end has been consumed.
    func checkNotTruncated() throws {
        if padBytes * 8 > bitCount { throw error("unexpected end of data (truncated file)") }
    }

    /// Whether all real input has been consumed (the stream must be byte-aligned).
    func atEnd() throws -> Bool {
        try checkNotTruncated()
        if bitCount > padBytes * 8 { return false }
        if next < end { return false }
        if !atEOF { try readMore() }
        return next >= end
    }

    /// Copies up to `count` bytes of a stored block to `out` (the stream must be byte-aligned); returns how
    /// many were copied, 0 only at the end of the input.
    func copyBytes(to out: UnsafeMutablePointer<UInt8>, count: Int) throws -> Int {
        var done = 0
        while done < count && bitCount >= 8 && bitCount > padBytes * 8 {
            out[done] = UInt8(truncatingIfNeeded: bits)
            bits >>= 8; bitCount -= 8; done += 1
        }
        if done == count { return done }
        try checkNotTruncated()
        // The bit buffer is empty (its high bits may hold a copy of the next byte): clear it and copy directly.
        bits = 0; bitCount = 0; padBytes = 0
        if next >= end, !atEOF { try readMore() }
        let n = min(count - done, end - next)
        if n > 0 { (out + done).update(from: UnsafeMutablePointer(mutating: next), count: n); next += n }
        return done + n
    }
}
