import Support

/// A reader for `encoder.json`: one flat JSON object mapping token strings to integer ids.
///
/// Support's general JSON parser checks for duplicate keys with a linear scan per key, which is quadratic
/// on GPT-2's 50,257 keys; this reader handles just this shape (strict JSON, string keys, integer values)
/// in one pass and leaves duplicate detection to the caller's dictionary.
enum GPT2EncoderJSON {
    /// The (token, id) pairs in file order; errors name `source`, the line and the column.
    static func parse(_ bytes: [UInt8], source: String) throws -> [(String, Int)] {
        var r = Reader(bytes: bytes, source: source)
        var out: [(String, Int)] = []
        out.reserveCapacity(50_257)
        r.skipWhitespace()
        try r.expect(UInt8(ascii: "{"), "the file must be one JSON object of token → id")
        r.skipWhitespace()
        if r.peek() == UInt8(ascii: "}") {
            r.i += 1
        } else {
            while true {
                r.skipWhitespace()
                let key = try r.string()
                r.skipWhitespace()
                try r.expect(UInt8(ascii: ":"), "expected ':' after a key")
                r.skipWhitespace()
                out.append((key, try r.integer()))
                r.skipWhitespace()
                if r.peek() == UInt8(ascii: ",") { r.i += 1; continue }
                try r.expect(UInt8(ascii: "}"), "expected ',' or '}' after a value")
                break
            }
        }
        r.skipWhitespace()
        guard r.i == bytes.count else { throw r.error("unexpected text after the object") }
        guard !out.isEmpty else { throw r.error("the object is empty") }
        return out
    }

    private struct Reader {
        let bytes: [UInt8]
        let source: String
        var i = 0

        init(bytes: [UInt8], source: String) { self.bytes = bytes; self.source = source }

        func peek() -> UInt8? { i < bytes.count ? bytes[i] : nil }

        func error(_ message: String) -> DDError {
            var line = 1, col = 1
            for b in bytes[0..<min(i, bytes.count)] { if b == 10 { line += 1; col = 1 } else { col += 1 } }
            return DDError.file(source, "invalid encoder JSON at line \(line), column \(col): \(message)",
                                fix: "use GPT-2's encoder.json (see assets/gpt2/README.md)")
        }

        mutating func skipWhitespace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        }

        mutating func expect(_ c: UInt8, _ message: String) throws {
            guard peek() == c else { throw error(message) }
            i += 1
        }

        mutating func integer() throws -> Int {
            var negative = false
            if peek() == UInt8(ascii: "-") { negative = true; i += 1 }
            var v = 0, digits = 0
            while let c = peek(), c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") {
                guard v < 1 << 40 else { throw error("id too large") }
                v = v * 10 + Int(c - UInt8(ascii: "0")); i += 1; digits += 1
            }
            guard digits > 0 else { throw error("expected an integer id") }
            if let c = peek(), c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                throw error("ids must be integers")
            }
            return negative ? -v : v
        }

        mutating func hex4() throws -> UInt32 {
            guard i + 4 <= bytes.count else { throw error("truncated \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[i]; i += 1
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): v = v << 4 | UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): v = v << 4 | UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): v = v << 4 | UInt32(c - UInt8(ascii: "A") + 10)
                default: throw error("invalid hex digit in \\u escape")
                }
            }
            return v
        }

        mutating func string() throws -> String {
            try expect(UInt8(ascii: "\""), "expected a string key")
            var out: [UInt8] = []
            while true {
                guard let c = peek() else { throw error("unterminated string") }
                i += 1
                if c == UInt8(ascii: "\"") { break }
                if c < 0x20 { throw error("control character in a string") }
                if c != UInt8(ascii: "\\") { out.append(c); continue }
                guard let e = peek() else { throw error("unterminated escape") }
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var v = try hex4()
                    if (0xD800..<0xDC00).contains(v) {
                        guard i + 2 <= bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                            throw error("unpaired surrogate in \\u escape")
                        }
                        i += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("invalid low surrogate") }
                        v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let u = Unicode.Scalar(v) else { throw error("unpaired surrogate in \\u escape") }
                    out.append(contentsOf: String(u).utf8)
                default: throw error("invalid escape")
                }
            }
            guard let s = String(validating: out, as: UTF8.self) else { throw error("invalid UTF-8 in a string") }
            return s
        }
    }
}
