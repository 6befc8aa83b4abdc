/// A parsed JSON value. Objects keep their keys in document order so that written files are stable.
public enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The value stored under `key` in an object, or nil.
    public subscript(key: String) -> JSON? {
        guard case let .object(pairs) = self else { return nil }
        return pairs.last(where: { $0.0 == key })?.1
    }

    /// A short name of the value's kind, used in error messages.
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    public var doubleValue: Double? { if case let .number(x) = self { return x }; return nil }
    public var stringValue: String? { if case let .string(s) = self { return s }; return nil }
    public var boolValue: Bool? { if case let .bool(b) = self { return b }; return nil }
    public var arrayValue: [JSON]? { if case let .array(a) = self { return a }; return nil }
    public var objectValue: [(String, JSON)]? { if case let .object(o) = self { return o }; return nil }

    /// The value as an exact integer, or nil when it is not a whole number in Int range.
    public var intValue: Int? {
        guard case let .number(x) = self, x.rounded() == x, abs(x) < 9.0e15 else { return nil }
        return Int(x)
    }

    /// Returns a copy with `value` stored under `key` (replacing an existing key in place).
    public func setting(_ key: String, to value: JSON) -> JSON {
        var pairs = objectValue ?? []
        if let i = pairs.firstIndex(where: { $0.0 == key }) { pairs[i].1 = value } else { pairs.append((key, value)) }
        return .object(pairs)
    }
}

extension JSON {
    /// Builds an object from pairs in the given order.
    public static func obj(_ pairs: KeyValuePairs<String, JSON>) -> JSON { .object(pairs.map { ($0.key, $0.value) }) }
    public static func int(_ v: Int) -> JSON { .number(Double(v)) }
    public static func ints<S: Sequence>(_ v: S) -> JSON where S.Element: BinaryInteger { .array(v.map { .number(Double($0)) }) }
    public static func doubles<S: Sequence>(_ v: S) -> JSON where S.Element == Double { .array(v.map { .number($0) }) }
}
