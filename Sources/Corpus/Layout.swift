import Support

/// The two parts of every layout: sequences to train on and held-out sequences to evaluate on.
public enum Split: String, Sendable, CaseIterable {
    case train, valid
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
