import Support

/// The two parts of every layout: sequences to train on and held-out sequences to evaluate on.
public enum Split: String, Sendable, CaseIterable {
    case train, valid
}

/// What a layout's sequences are.
public enum LayoutKind: Equatable, Hashable, Sendable {
    /// Dataset-decomposition bucket k: pieces of one document, trained length 2^k.
    case bucket(Int)
    /// Concat-and-chunk at trained length L: chunks of L + 1 tokens across documents.
    case concat(Int)
    /// Best-fit-decreasing packing of whole documents (or L + 1-token pieces) into bins of L + 1 tokens.
    case packed(Int)

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

    /// Parses "bucket"/"concat"/"packed" with its k or L.
    public init?(kind: String, parameter: Int) {
        switch kind {
        case "bucket": self = .bucket(parameter)
        case "concat": self = .concat(parameter)
        case "packed": self = .packed(parameter)
        default: return nil
        }
    }
}

/// The file names of one layout's shard and split inside a dataset folder.
public enum LayoutFiles {
    /// Flat token file: "bucket-08.shard-0000.train.tokens".
    public static func tokens(_ kind: LayoutKind, shard: Int, split: Split) -> String {
        "\(kind.name).shard-\(pad4(shard)).\(split.rawValue).tokens"
    }

    /// Sequence index of a baseline layout: "concat-1024.shard-0000.train.index".
    public static func index(_ kind: LayoutKind, shard: Int, split: Split) -> String {
        "\(kind.name).shard-\(pad4(shard)).\(split.rawValue).index"
    }

    static func pad4(_ n: Int) -> String { let s = String(n); return String(repeating: "0", count: max(0, 4 - s.count)) + s }
}
