/// What a layout of the prepared data holds (method.md §2 and §6): the one type the data store, the planner and the
/// trainer share, with the one rule for how many positions a sequence of it trains.
public enum LayoutKind: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Dataset-decomposition bucket k: pieces of one document, trained length 2^k.
    case bucket(Int)
    /// Concat-and-chunk at trained length L: chunks of L + 1 tokens across documents.
    case concat(Int)
    /// Best-fit-decreasing packing of whole documents (or L + 1-token pieces) into bins of L + 1 tokens.
    case packed(Int)

    /// Positions a sequence of this layout trains: 2^k for bucket k, L for a baseline at length L.
    public var trainedLength: Int {
        switch self {
        case let .bucket(k): return 1 << k
        case let .concat(l), let .packed(l): return l
        }
    }

    /// The layout's name, also the prefix of its files: "bucket-08", "concat-1024", "packed-1024".
    public var name: String {
        switch self {
        case let .bucket(k): return "bucket-" + (k < 10 ? "0" : "") + String(k)
        case let .concat(l): return "concat-\(l)"
        case let .packed(l): return "packed-\(l)"
        }
    }

    /// Whether its sequences have a variable length and an index file (document starts, offsets).
    public var hasIndex: Bool { if case .bucket = self { return false }; return true }

    /// "bucket", "concat" or "packed".
    public var kindName: String {
        switch self {
        case .bucket: return "bucket"
        case .concat: return "concat"
        case .packed: return "packed"
        }
    }

    /// k for a bucket, L for a baseline.
    public var parameter: Int {
        switch self {
        case let .bucket(k): return k
        case let .concat(l), let .packed(l): return l
        }
    }

    /// Parses "bucket"/"concat"/"packed" with its k or L (the manifest's fields).
    public init?(kind: String, parameter: Int) {
        switch kind {
        case "bucket": self = .bucket(parameter)
        case "concat": self = .concat(parameter)
        case "packed": self = .packed(parameter)
        default: return nil
        }
    }

    /// The short name `plan --counts` files use: "bucket8", "concat2048", "packed2048".
    public var description: String { kindName + String(parameter) }

    /// Parses the names `description` writes ("bucket8", "concat2048", "packed2048").
    public init?(name: String) {
        for (prefix, make) in [("bucket", LayoutKind.bucket), ("concat", LayoutKind.concat), ("packed", LayoutKind.packed)]
        where name.hasPrefix(prefix) {
            guard let v = Int(name.dropFirst(prefix.count)), v >= 0 else { return nil }
            self = make(v)
            return
        }
        return nil
    }
}
