import Support

// Stand-ins for the gzip reader that branch wt-corpus-tok delivers; this file is deleted when its gzip code
// is merged. They only report that the feature is missing from this build.

/// Stand-in: gzip support arrives with branch wt-corpus-tok.
public enum Gzip {
    /// Always throws: gzip support is not in this build yet.
    public static func decompress(_ bytes: [UInt8]) throws -> [UInt8] {
        throw DDError("gzip input is not supported by this build yet (fix: decompress the file with gunzip first)")
    }
}

/// Stand-in: streaming gzip support arrives with branch wt-corpus-tok.
public final class GzipReader {
    /// Always throws: gzip support is not in this build yet.
    public init(path: String) throws {
        throw DDError.file(path, "gzip input is not supported by this build yet", fix: "decompress the file with gunzip first")
    }
    /// Never reached.
    public func nextChunk() throws -> [UInt8]? { nil }
}
