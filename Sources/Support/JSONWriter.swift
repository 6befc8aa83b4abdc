/// Serialises JSON values: compact (one line, for JSON Lines and `--json` output) or indented (for files).
extension JSON {
    /// The value as one line of JSON.
    public var compact: String { var s = ""; write(into: &s, indent: nil, level: 0); return s }

    /// The value as indented JSON followed by a newline.
    public var pretty: String { var s = ""; write(into: &s, indent: "  ", level: 0); s.append("\n"); return s }

    private func write(into s: inout String, indent: String?, level: Int) {
        switch self {
        case .null: s += "null"
        case let .bool(b): s += b ? "true" : "false"
        case let .number(x): s += JSON.format(x)
        case let .string(t): JSON.quote(t, into: &s)
        case let .array(items):
            if items.isEmpty { s += "[]"; return }
            // Arrays of scalars stay on one line even in indented output: they are vectors, not records.
            let scalars = items.allSatisfy { if case .array = $0 { return false }; if case .object = $0 { return false }; return true }
            let ind = scalars ? nil : indent
            s += "["
            for (n, item) in items.enumerated() {
                if n > 0 { s += ind == nil ? (indent == nil ? "," : ", ") : "," }
                if let ind { s += "\n" + String(repeating: ind, count: level + 1) }
                item.write(into: &s, indent: indent, level: level + 1)
            }
            if let ind { s += "\n" + String(repeating: ind, count: level) }
            s += "]"
        case let .object(pairs):
            if pairs.isEmpty { s += "{}"; return }
            s += "{"
            for (n, (k, v)) in pairs.enumerated() {
                if n > 0 { s += "," }
                if let indent { s += "\n" + String(repeating: indent, count: level + 1) }
                JSON.quote(k, into: &s)
                s += indent == nil ? ":" : ": "
                v.write(into: &s, indent: indent, level: level + 1)
            }
            if let indent { s += "\n" + String(repeating: indent, count: level) }
            s += "}"
        }
    }

    /// Integers print without a fraction; other finite values in shortest round-trip form; non-finite as null.
    static func format(_ x: Double) -> String {
        guard x.isFinite else { return "null" }
        if x.rounded() == x, abs(x) < 1e15 { return String(Int64(x)) }
        return "\(x)"
    }

    static func quote(_ t: String, into s: inout String) {
        s += "\""
        for u in t.unicodeScalars {
            switch u {
            case "\"": s += "\\\""
            case "\\": s += "\\\\"
            case "\n": s += "\\n"
            case "\r": s += "\\r"
            case "\t": s += "\\t"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    s += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    s.unicodeScalars.append(u)
                }
            }
        }
        s += "\""
    }
}
