import Support

/// The GPT-2 vocabulary as loaded from OpenAI's `encoder.json` and `vocab.bpe`, in byte form.
///
/// Both files spell tokens through GPT-2's byte-to-unicode table (every byte is shown as a printable
/// character, e.g. the space as "Ġ"); here each token is turned back into its raw bytes, so the
/// tokenizer works on UTF-8 bytes and never builds strings.
public final class GPT2Vocabulary: Sendable {
    /// Raw bytes of every token, indexed by id.
    let tokenBytes: [[UInt8]]
    /// The id of each single byte (every byte is a token in a byte-level vocabulary).
    let byteIds: [Int32]
    /// Merge rules: the pair of ids, its rank (line order in vocab.bpe) and the id it merges into.
    let merges: [(left: Int32, right: Int32, rank: Int32, merged: Int32)]
    /// The id of "<|endoftext|>".
    let endOfText: Int32

    /// GPT-2's byte-to-unicode table: bytes that are printable Latin-1 map to themselves, the other 68
    /// bytes to U+0100 onwards in byte order (as in OpenAI's encoder.py).
    public static let byteToScalar: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var extra: UInt32 = 0
        for b in 0..<256 {
            let printable = (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
            if printable { table[b] = UInt32(b) } else { table[b] = 256 + extra; extra += 1 }
        }
        return table
    }()

    /// The inverse of `byteToScalar` (code point → byte), keyed by code points below 324.
    static let scalarToByte: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for (b, s) in byteToScalar.enumerated() { table[Int(s)] = Int16(b) }
        return table
    }()

    /// Loads both files; `encoderName`/`vocabName` name them in error messages.
    init(encoderJSON: [UInt8], vocabBPE: [UInt8], encoderName: String, vocabName: String) throws {
        let fix = "use the encoder.json and vocab.bpe of GPT-2 (see assets/gpt2/README.md)"
        guard case let .object(pairs) = try JSONParser.parse(encoderJSON, source: encoderName) else {
            throw DDError.file(encoderName, "is not one JSON object of token → id", fix: fix)
        }
        let entries: [(String, Int)] = try pairs.map { key, value in
            guard let id = value.intValue else {
                throw DDError.file(encoderName, "token \(quoted(key)) maps to \(value.kindName) \(value.compact) (ids must be integers)", fix: fix)
            }
            return (key, id)
        }
        var bytesById = [[UInt8]?](repeating: nil, count: entries.count)
        var idByBytes: [[UInt8]: Int32] = [:]
        idByBytes.reserveCapacity(entries.count)
        for (key, id) in entries {
            guard id >= 0, id < entries.count else {
                throw DDError.file(encoderName, "token \(quoted(key)) has id \(id), outside 0..<\(entries.count) (ids must be dense)", fix: fix)
            }
            guard bytesById[id] == nil else {
                throw DDError.file(encoderName, "id \(id) is given to two tokens", fix: fix)
            }
            let bytes = try Self.rawBytes(key, source: encoderName, what: "token")
            guard idByBytes.updateValue(Int32(id), forKey: bytes) == nil else {
                throw DDError.file(encoderName, "token \(quoted(key)) appears twice", fix: fix)
            }
            bytesById[id] = bytes
        }
        tokenBytes = bytesById.map { $0! }
        var ids = [Int32](repeating: 0, count: 256)
        for b in 0..<256 {
            guard let id = idByBytes[[UInt8(b)]] else {
                throw DDError.file(encoderName, "has no token for byte \(b)", fix: fix)
            }
            ids[b] = id
        }
        byteIds = ids
        guard let eot = idByBytes[Array("<|endoftext|>".utf8)] else {
            throw DDError.file(encoderName, "has no \"<|endoftext|>\" token", fix: fix)
        }
        endOfText = eot
        merges = try Self.parseMerges(vocabBPE, source: vocabName, idByBytes: idByBytes, fix: fix)
    }

    /// Parses vocab.bpe: an optional "#version" line, then one merge "left right" per line, by rank.
    private static func parseMerges(_ data: [UInt8], source: String, idByBytes: [[UInt8]: Int32],
                                    fix: String) throws -> [(left: Int32, right: Int32, rank: Int32, merged: Int32)] {
        guard let text = String(validating: data, as: UTF8.self) else {
            throw DDError.file(source, "is not valid UTF-8", fix: fix)
        }
        var out: [(left: Int32, right: Int32, rank: Int32, merged: Int32)] = []
        out.reserveCapacity(50_000)
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.isEmpty || (lineNumber == 1 && line.hasPrefix("#version")) { continue }
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw DDError.file(source, "line \(lineNumber): expected two tokens separated by one space, found \(quoted(String(line)))", fix: fix)
            }
            let where_ = "line \(lineNumber)"
            let left = try rawBytes(String(parts[0]), source: source, what: where_)
            let right = try rawBytes(String(parts[1]), source: source, what: where_)
            guard let l = idByBytes[left], let r = idByBytes[right] else {
                throw DDError.file(source, "\(where_): merge \(quoted(String(line))) uses a token missing from encoder.json", fix: "use a vocab.bpe that matches the encoder.json")
            }
            guard let m = idByBytes[left + right] else {
                throw DDError.file(source, "\(where_): the result of merge \(quoted(String(line))) is missing from encoder.json", fix: "use a vocab.bpe that matches the encoder.json")
            }
            out.append((l, r, Int32(out.count), m))
        }
        return out
    }

    /// The raw bytes spelt by a byte-level token string.
    private static func rawBytes(_ s: String, source: String, what: String) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.unicodeScalars.count)
        for u in s.unicodeScalars {
            let v = Int(u.value)
            guard v < scalarToByte.count, scalarToByte[v] >= 0 else {
                throw DDError.file(source, "\(what) \(quoted(s)) contains U+\(String(v, radix: 16, uppercase: true)), which is not in GPT-2's byte-to-unicode table",
                                   fix: "use GPT-2's byte-level encoder.json and vocab.bpe")
            }
            out.append(UInt8(scalarToByte[v]))
        }
        return out
    }
}

/// A string for an error message: quoted, cut to 40 characters.
private func quoted(_ s: String) -> String {
    "\"" + (s.count > 40 ? String(s.prefix(40)) + "…" : s) + "\""
}
