import Support

/// Plain-text files, one file per document: a list of files and folders (folders are walked recursively in
/// bytewise name order, hidden entries skipped). A document's id is its position in that list, so it is the same
/// on every rank; each rank opens only its own files, one at a time.
public struct TextFileSource: DocumentSource {
    /// Every document file, in id order.
    public let files: [String]

    /// Expands `paths` (files or folders) into the ordered list of document files.
    public init(paths: [String]) throws {
        files = try TextFileSource.expand(paths) { _ in true }
    }

    /// The files named by `paths`: a file as given, a folder as every file below it (in name order) that `keep`
    /// accepts. A path that does not exist is an error naming it.
    static func expand(_ paths: [String], keep: (String) -> Bool) throws -> [String] {
        var out: [String] = []
        for p in paths {
            guard FileIO.exists(p) else {
                throw DDError.file(p, "no such file or folder", fix: "check the data source path")
            }
            if FileIO.isDirectory(p) {
                var all: [String] = []
                try walk(p, into: &all)
                out += all.filter(keep)
            } else {
                out.append(p)
            }
        }
        return out
    }

    static func walk(_ dir: String, into out: inout [String]) throws {
        for name in try FileIO.listDirectory(dir) where !name.hasPrefix(".") {
            let full = dir.hasSuffix("/") ? dir + name : dir + "/" + name
            if FileIO.isDirectory(full) { try walk(full, into: &out) } else { out.append(full) }
        }
    }

    /// Reads rank `rank`'s files one at a time (validating UTF-8) and hands each over as a document.
    public func forEachDocument(rank: Int, worldSize: Int, _ body: (Document) throws -> Void) throws {
        var id = rank
        while id < files.count {
            let path = files[id]
            let bytes = try ByteStream.readWhole(path)
            if let bad = UTF8Check.firstInvalidOffset(bytes) {
                throw DDError.file(path, "invalid UTF-8 at byte offset \(bad)\(path.hasSuffix(".gz") ? " (after decompression)" : "")",
                                   fix: "convert the file to UTF-8 or leave it out of the text source")
            }
            try body(Document(id: id, content: .text(bytes), origin: path))
            id += worldSize
        }
    }
}
