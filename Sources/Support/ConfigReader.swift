/// Reads one object of a JSON config strictly: every key read is recorded, and `finish()` rejects the rest.
///
/// Errors name the full key path (`model.heads`), what was wrong and how to fix it.
/// Usage: `let r = try ConfigReader(json, path: "model"); let d = try r.int("dim", default: 384, min: 1); try r.finish()`.
public final class ConfigReader {
    /// The dotted path of this object inside the config ("" for the root).
    public let path: String
    private let pairs: [(String, JSON)]
    private var used: Set<String> = []
    /// Every key the parser asked for, present or not, in order: the keys this section accepts.
    private var asked: [String] = []

    public init(_ json: JSON, path: String = "") throws {
        guard case let .object(p) = json else {
            throw DDError.config(path.isEmpty ? "<root>" : path, "expected an object, got \(json.kindName)",
                                 fix: "write this section as a JSON object {...}")
        }
        self.path = path
        self.pairs = p
    }

    /// A reader over an empty object (a section that was left out).
    public static func empty(path: String) -> ConfigReader { try! ConfigReader(.object([]), path: path) }

    /// The full key path of `key` inside this object.
    public func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Whether the key is present (and marks it read).
    public func has(_ key: String) -> Bool { raw(key) != nil }

    /// The raw value of a key (marking it read), or nil when absent.
    public func raw(_ key: String) -> JSON? {
        if !asked.contains(key) { asked.append(key) }
        guard let v = pairs.last(where: { $0.0 == key })?.1 else { return nil }
        used.insert(key)
        return v
    }

    private func required(_ key: String, _ kind: String) throws -> JSON {
        guard let v = raw(key) else {
            throw DDError.config(keyPath(key), "missing required \(kind)", fix: "add \"\(key)\" to the \(path.isEmpty ? "config" : "'\(path)' section")")
        }
        return v
    }

    /// An integer in [min, max]; `default` nil makes the key required.
    public func int(_ key: String, default def: Int? = nil, min lo: Int? = nil, max hi: Int? = nil) throws -> Int {
        let v: Int
        if let j = raw(key) {
            guard let x = j.intValue else {
                throw DDError.config(keyPath(key), "expected an integer, got \(j.kindName) \(j.compact)", fix: "write a whole number")
            }
            v = x
        } else if let def { v = def } else { _ = try required(key, "integer"); fatalError("unreachable") }
        if let lo, v < lo { throw DDError.config(keyPath(key), "\(v) is below the minimum \(lo)", fix: "use a value >= \(lo)") }
        if let hi, v > hi { throw DDError.config(keyPath(key), "\(v) is above the maximum \(hi)", fix: "use a value <= \(hi)") }
        return v
    }

    /// A finite number in [min, max]; `default` nil makes the key required.
    public func double(_ key: String, default def: Double? = nil, min lo: Double? = nil, max hi: Double? = nil) throws -> Double {
        let v: Double
        if let j = raw(key) {
            guard let x = j.doubleValue else {
                throw DDError.config(keyPath(key), "expected a number, got \(j.kindName) \(j.compact)", fix: "write a number")
            }
            v = x
        } else if let def { v = def } else { _ = try required(key, "number"); fatalError("unreachable") }
        if let lo, v < lo { throw DDError.config(keyPath(key), "\(v) is below the minimum \(lo)", fix: "use a value >= \(lo)") }
        if let hi, v > hi { throw DDError.config(keyPath(key), "\(v) is above the maximum \(hi)", fix: "use a value <= \(hi)") }
        return v
    }

    /// A boolean; `default` nil makes the key required.
    public func bool(_ key: String, default def: Bool? = nil) throws -> Bool {
        if let j = raw(key) {
            guard let b = j.boolValue else {
                throw DDError.config(keyPath(key), "expected true or false, got \(j.kindName) \(j.compact)", fix: "write true or false")
            }
            return b
        }
        if let def { return def }
        _ = try required(key, "boolean"); fatalError("unreachable")
    }

    /// A string; `default` nil makes the key required.
    public func string(_ key: String, default def: String? = nil) throws -> String {
        if let j = raw(key) {
            guard let s = j.stringValue else {
                throw DDError.config(keyPath(key), "expected a string, got \(j.kindName) \(j.compact)", fix: "write a quoted string")
            }
            return s
        }
        if let def { return def }
        _ = try required(key, "string"); fatalError("unreachable")
    }

    /// A string that must be one of `choices`.
    public func choice(_ key: String, _ choices: [String], default def: String? = nil) throws -> String {
        let s = try string(key, default: def)
        guard choices.contains(s) else {
            throw DDError.config(keyPath(key), "unknown value \"\(s)\"", fix: "use one of: \(choices.joined(separator: ", "))")
        }
        return s
    }

    /// An optional string (nil when absent or null).
    public func optionalString(_ key: String) throws -> String? {
        guard let j = raw(key), j != .null else { return nil }
        return try string(key)
    }

    /// A nested section; an absent key gives an empty section (so its defaults apply).
    public func section(_ key: String) throws -> ConfigReader {
        guard let j = raw(key), j != .null else { return .empty(path: keyPath(key)) }
        return try ConfigReader(j, path: keyPath(key))
    }

    /// An array of integers; `default` nil makes the key required.
    public func intArray(_ key: String, default def: [Int]? = nil) throws -> [Int] {
        guard let j = raw(key) else {
            if let def { return def }
            _ = try required(key, "array of integers"); fatalError("unreachable")
        }
        guard let a = j.arrayValue else {
            throw DDError.config(keyPath(key), "expected an array of integers, got \(j.kindName)", fix: "write [1, 2, ...]")
        }
        return try a.enumerated().map { n, v in
            guard let x = v.intValue else {
                throw DDError.config("\(keyPath(key))[\(n)]", "expected an integer, got \(v.kindName) \(v.compact)", fix: "write a whole number")
            }
            return x
        }
    }

    /// An array of numbers; `default` nil makes the key required.
    public func doubleArray(_ key: String, default def: [Double]? = nil) throws -> [Double] {
        guard let j = raw(key) else {
            if let def { return def }
            _ = try required(key, "array of numbers"); fatalError("unreachable")
        }
        guard let a = j.arrayValue else {
            throw DDError.config(keyPath(key), "expected an array of numbers, got \(j.kindName)", fix: "write [1.0, 2.0, ...]")
        }
        return try a.enumerated().map { n, v in
            guard let x = v.doubleValue else {
                throw DDError.config("\(keyPath(key))[\(n)]", "expected a number, got \(v.kindName)", fix: "write a number")
            }
            return x
        }
    }

    /// An array of strings; `default` nil makes the key required.
    public func stringArray(_ key: String, default def: [String]? = nil) throws -> [String] {
        guard let j = raw(key) else {
            if let def { return def }
            _ = try required(key, "array of strings"); fatalError("unreachable")
        }
        if let s = j.stringValue { return [s] }
        guard let a = j.arrayValue else {
            throw DDError.config(keyPath(key), "expected an array of strings, got \(j.kindName)", fix: "write [\"a\", \"b\"]")
        }
        return try a.enumerated().map { n, v in
            guard let s = v.stringValue else {
                throw DDError.config("\(keyPath(key))[\(n)]", "expected a string, got \(v.kindName)", fix: "write a quoted string")
            }
            return s
        }
    }

    /// Throws for the first key that was never read: a misspelt or unsupported option. The message suggests the
    /// closest valid key and lists every key the section accepts (docs/config.md describes them).
    public func finish() throws {
        for (k, _) in pairs where !used.contains(k) {
            let hint = KeySuggestion.closest(to: k, among: asked).map { "did you mean '\($0)'? " } ?? ""
            let valid = asked.isEmpty ? "this section takes no keys" : "valid keys in \(path.isEmpty ? "the config" : "'\(path)'"): \(asked.joined(separator: ", "))"
            throw DDError.config(keyPath(k), "unknown key", fix: "\(hint)\(valid); see docs/config.md")
        }
    }
}
