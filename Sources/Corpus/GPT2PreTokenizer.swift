/// GPT-2's pre-tokenisation, written by hand over UTF-8 bytes (no regex engine).
///
/// It reproduces what Python's `regex` module finds with GPT-2's pattern
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// The alternatives are tried in order at each position, exactly as the regex engine does:
/// 1. a lowercase contraction after an ASCII apostrophe ('S, ’s are not special);
/// 2–4. an optional single U+0020 space followed by a run of letters, of numbers, or of "other"
///    characters (neither whitespace, letter nor number);
/// 5. a whitespace run that is not followed by a non-whitespace character: a run that reaches the end of
///    the text is taken whole, otherwise all of it but its last character (which then starts the next
///    piece, so that " word" keeps its space);
/// 6. otherwise the single whitespace character.
///
/// Character classes come from `Unicode.Scalar.Properties`: \p{L} = general categories Lu Ll Lt Lm Lo,
/// \p{N} = Nd Nl No, \s = the Unicode White_Space property. Python's `regex` uses the same definitions;
/// the two could disagree only on code points whose properties changed between the Unicode versions of
/// the two libraries. Measured: none of the 1,114,112 code points differ between Swift 6.3.1 and `regex`
/// 2026.5.9 (GPT2TokenizerTests checks every one against assets/gpt2/golden/classes.txt).
///
/// Bytes that are not valid UTF-8 are classed "other", one byte each, like Python decoding with
/// 'surrogateescape' (a lone surrogate is neither letter, number nor whitespace).
public enum GPT2PreTokenizer {
    /// The class of one character for the pattern above.
    @usableFromInline enum CharClass: UInt8 { case letter, number, space, other }

    /// Classes of the ASCII bytes, so the common case needs no property lookup.
    @usableFromInline static let asciiClass: [CharClass] = (0..<128).map { b in
        classify(Unicode.Scalar(UInt8(b)))
    }

    /// The class of any Unicode scalar.
    static func classify(_ s: Unicode.Scalar) -> CharClass {
        let p = s.properties
        if p.isWhitespace { return .space }
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return .other
        }
    }

    /// Calls `body(start, end)` with the byte range of every piece of `text`, in order; the pieces cover
    /// the text exactly.
    public static func forEachPiece(_ text: UnsafeBufferPointer<UInt8>, _ body: (Int, Int) -> Void) {
        let scanner = Scanner(text: text)
        var p = 0
        while p < text.count {
            let end = scanner.pieceEnd(from: p)
            body(p, end)
            p = end
        }
    }

    /// Byte lengths of the pieces of `text` (for tests and tools).
    public static func pieceLengths(_ text: [UInt8]) -> [Int] {
        var out: [Int] = []
        text.withUnsafeBufferPointer { buf in forEachPiece(buf) { s, e in out.append(e - s) } }
        return out
    }

    /// Finds where the piece starting at a given byte ends.
    struct Scanner {
        let text: UnsafeBufferPointer<UInt8>
        let classes: [CharClass] = GPT2PreTokenizer.asciiClass

        /// The class and byte length of the character at `p` (`p < text.count`).
        @inline(__always) func char(at p: Int) -> (CharClass, Int) {
            let b = text[p]
            if b < 0x80 { return (classes[Int(b)], 1) }
            guard let (scalar, n) = decodeScalar(at: p) else { return (.other, 1) }
            return (GPT2PreTokenizer.classify(scalar), n)
        }

        /// Decodes a well-formed UTF-8 sequence (Unicode Table 3-7) at `p`, or nil if the byte there does
        /// not start one.
        func decodeScalar(at p: Int) -> (Unicode.Scalar, Int)? {
            let b0 = UInt32(text[p]), left = text.count - p
            func cont(_ i: Int, _ lo: UInt8 = 0x80, _ hi: UInt8 = 0xBF) -> UInt32? {
                guard i < left else { return nil }
                let c = text[p + i]
                return c >= lo && c <= hi ? UInt32(c & 0x3F) : nil
            }
            var v: UInt32
            var n: Int
            switch b0 {
            case 0xC2...0xDF:
                guard let c1 = cont(1) else { return nil }
                v = (b0 & 0x1F) << 6 | c1; n = 2
            case 0xE0...0xEF:
                let lo: UInt8 = b0 == 0xE0 ? 0xA0 : 0x80, hi: UInt8 = b0 == 0xED ? 0x9F : 0xBF
                guard let c1 = cont(1, lo, hi), let c2 = cont(2) else { return nil }
                v = (b0 & 0x0F) << 12 | c1 << 6 | c2; n = 3
            case 0xF0...0xF4:
                let lo: UInt8 = b0 == 0xF0 ? 0x90 : 0x80, hi: UInt8 = b0 == 0xF4 ? 0x8F : 0xBF
                guard let c1 = cont(1, lo, hi), let c2 = cont(2), let c3 = cont(3) else { return nil }
                v = (b0 & 0x07) << 18 | c1 << 12 | c2 << 6 | c3; n = 4
            default:
                return nil
            }
            guard let s = Unicode.Scalar(v) else { return nil }
            return (s, n)
        }

        /// The end of the run of characters of class `c` that starts at `p`.
        @inline(__always) func runEnd(_ c: CharClass, from p: Int) -> Int {
            var q = p
            while q < text.count {
                let b = text[q]
                if b < 0x80 {
                    if classes[Int(b)] != c { break }
                    q += 1
                } else {
                    let (k, n) = char(at: q)
                    if k != c { break }
                    q += n
                }
            }
            return q
        }

        /// The length of a lowercase contraction ('s 't 're 've 'm 'll 'd) at `p`, or 0.
        @inline(__always) func contraction(at p: Int) -> Int {
            guard p + 1 < text.count else { return 0 }
            switch text[p + 1] {
            case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"): return 2
            case UInt8(ascii: "r"), UInt8(ascii: "v"):
                return p + 2 < text.count && text[p + 2] == UInt8(ascii: "e") ? 3 : 0
            case UInt8(ascii: "l"):
                return p + 2 < text.count && text[p + 2] == UInt8(ascii: "l") ? 3 : 0
            default: return 0
            }
        }

        /// The end of the piece that starts at `p` (`p < text.count`).
        func pieceEnd(from p: Int) -> Int {
            let b = text[p]
            if b == UInt8(ascii: "'") {
                let n = contraction(at: p)
                if n > 0 { return p + n }
            }
            if b == 0x20, p + 1 < text.count {
                let (next, n) = char(at: p + 1)
                if next != .space { return runEnd(next, from: p + 1 + n) }
            }
            let (c, n) = char(at: p)
            if c != .space { return runEnd(c, from: p + n) }
            return whitespaceEnd(from: p)
        }

        /// Alternatives 5 and 6 for a whitespace run starting at `p`.
        func whitespaceEnd(from p: Int) -> Int {
            var q = p, last = p, count = 0
            while q < text.count {
                let (c, n) = char(at: q)
                if c != .space { break }
                last = q; q += n; count += 1
            }
            if q == text.count || count == 1 { return q }
            return last
        }
    }
}
