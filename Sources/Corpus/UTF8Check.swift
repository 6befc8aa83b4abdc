/// UTF-8 validation that reports where a file goes wrong, so the error can name the byte offset.
public enum UTF8Check {
    /// The offset of the first byte that does not start or continue a valid UTF-8 sequence, or nil when the
    /// whole buffer is valid (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
    public static func firstInvalidOffset(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        let n = bytes.count
        var i = 0
        while i < n {
            // ASCII fast path: eight bytes at a time while none has its high bit set.
            while i + 8 <= n, base.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 { i += 8 }
            guard i < n else { break }
            let b0 = base.load(fromByteOffset: i, as: UInt8.self)
            if b0 < 0x80 { i += 1; continue }
            let need: Int
            var lo: UInt8 = 0x80, hi: UInt8 = 0xBF  // allowed range of the second byte
            switch b0 {
            case 0xC2...0xDF: need = 1
            case 0xE0: need = 2; lo = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: need = 2
            case 0xED: need = 2; hi = 0x9F
            case 0xF0: need = 3; lo = 0x90
            case 0xF1...0xF3: need = 3
            case 0xF4: need = 3; hi = 0x8F
            default: return i
            }
            guard i + need < n else { return i }
            let b1 = base.load(fromByteOffset: i + 1, as: UInt8.self)
            guard b1 >= lo, b1 <= hi else { return i }
            for j in 2..<(need + 1) where j <= need {
                let b = base.load(fromByteOffset: i + j, as: UInt8.self)
                guard b & 0xC0 == 0x80 else { return i }
            }
            i += need + 1
        }
        return nil
    }

    /// The offset of the first invalid byte of `bytes`, or nil.
    public static func firstInvalidOffset(_ bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBytes { firstInvalidOffset($0) }
    }
}
