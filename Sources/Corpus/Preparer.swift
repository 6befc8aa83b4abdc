import Support

/// The steps of `ddtrain prepare`, callable per rank without MPI: the command supplies rank, world size and
/// the gather of summaries; tests call them for several ranks in one process.
public enum Preparer {
    /// The format `settings.format` resolves to for its first source path.
    public static func resolveFormat(_ settings: PrepareSettings) -> SourceFormat {
        guard settings.format == .auto, let p = settings.sources.first else { return settings.format }
        if FileIO.isDirectory(p) { return .text }
        let name = p.hasSuffix(".gz") ? String(p.dropLast(3)) : p
        if name.hasSuffix(".jsonl") || name.hasSuffix(".json") { return .jsonl }
        if name.hasSuffix(".idx") { return .megatron }
        if name.hasSuffix(".bin") { return FileIO.exists(String(name.dropLast(4)) + ".idx") ? .megatron : .llmc }
        return .text
    }

    /// The document source the settings describe.
    public static func makeSource(_ settings: PrepareSettings, endOfText: Int32) throws -> DocumentSource {
        switch resolveFormat(settings) {
        case .auto, .text: return try TextFileSource(paths: settings.sources)
        case .jsonl: return try JSONLSource(paths: settings.sources, field: settings.textField)
        case .megatron: return try MegatronSource(paths: settings.sources, endOfText: endOfText)
        case .llmc: return try LLMCSource(paths: settings.sources, endOfText: endOfText)
        }
    }

    /// Creates the output folder and removes an old manifest, so that a prepare interrupted from here on leaves
    /// no manifest (the dataset reads as unfinished). Rank 0 calls it before any rank writes.
    public static func beginOutput(directory: String) throws {
        try FileIO.makeDirectories(directory)
        // Files of an earlier prepare that this one may not rewrite (other shard count or layouts) go too.
        if let old = try? FileIO.readJSON(directory + "/" + Manifest.fileName), let files = old["files"]?.arrayValue {
            for f in files { if let n = f["name"]?.stringValue, !n.contains("/") { FileIO.removeIfPresent(directory + "/" + n) } }
        }
        FileIO.removeIfPresent(directory + "/" + Manifest.fileName)
        // Temporary files left by a killed prepare are never renamed into place; clear them away.
        for name in try FileIO.listDirectory(directory) where name.contains(".tmp-") {
            FileIO.removeIfPresent(directory + "/" + name)
        }
        AtomicFile.syncDirectory(of: directory + "/" + Manifest.fileName)
    }

    /// Removes every file a prepare of `settings` on `worldSize` ranks writes (all shards, their temporary
    /// files and the manifest), so that a failed prepare leaves no partial dataset. Called by a failing rank
    /// before the job ends: with the folder on a shared file system this also takes the other ranks' files,
    /// and a temporary file another rank still has open disappears when that rank is ended.
    public static func abandonOutput(settings: PrepareSettings, worldSize: Int) {
        let dir = settings.directory
        var finals: Set<String> = [Manifest.fileName]
        for kind in settings.layoutKinds {
            for shard in 0..<worldSize {
                for split in Split.allCases {
                    finals.insert(LayoutFiles.tokens(kind, shard: shard, split: split))
                    if kind.hasIndex { finals.insert(LayoutFiles.index(kind, shard: shard, split: split)) }
                }
            }
        }
        guard let names = try? FileIO.listDirectory(dir) else { return }
        for name in names {
            let base = name.firstRange(of: ".tmp-").map { String(name[..<$0.lowerBound]) } ?? name
            if finals.contains(base) { FileIO.removeIfPresent(dir + "/" + name) }
        }
        AtomicFile.syncDirectory(of: dir + "/" + Manifest.fileName)
    }

    /// Reads rank `rank`'s documents from `source`, tokenizes them (text corpora; `tokenizer` may be nil for
    /// token corpora) and writes shard `rank` of every layout. Returns the shard's summary.
    public static func prepareShard(settings: PrepareSettings, source: DocumentSource, tokenizer: Tokenizer?, info: TokenizerInfo,
                                    rank: Int, worldSize: Int) throws -> ShardSummary {
        let writer = try ShardWriter(directory: settings.directory, shard: rank, settings: settings, tokenizer: info)
        do {
            try source.forEachDocument(rank: rank, worldSize: worldSize) { doc in
                var tokens: [Int32]
                switch doc.content {
                case let .text(bytes):
                    guard let tokenizer else {
                        throw DDError.file(doc.origin, "text document but no tokenizer loaded", fix: "use a text format with a tokenizer")
                    }
                    tokens = bytes.withUnsafeBufferPointer { tokenizer.encode($0) }
                    writer.recordTextBytes(bytes.count)
                case let .tokens(t):
                    tokens = t
                }
                tokens.append(info.endOfText)
                try writer.add(documentID: doc.id, tokens: tokens, origin: doc.origin)
            }
            return try writer.finish()
        } catch {
            writer.abandon()
            throw error
        }
    }

    /// Loads the tokenizer when the source is text (token corpora only need its name, size and end-of-text id).
    public static func loadTokenizer(_ settings: PrepareSettings) throws -> (Tokenizer?, TokenizerInfo) {
        guard let info = TokenizerInfo.known(settings.tokenizer) else {
            throw DDError.config("data.tokenizer", "unknown tokenizer \"\(settings.tokenizer)\"", fix: "use \"byte\" or \"gpt2\"")
        }
        switch resolveFormat(settings) {
        case .megatron, .llmc: return (nil, info)
        default: return (try TokenizerInfo.load(settings.tokenizer, directory: settings.tokenizerDirectory), info)
        }
    }

    /// A whole prepare in this process, shard by shard as `worldSize` ranks would do it; returns the manifest.
    /// The command runs the same steps with one shard per MPI rank.
    @discardableResult
    public static func prepareInProcess(settings: PrepareSettings, worldSize: Int = 1, command: String = "") throws -> JSON {
        try settings.validate()
        let (tokenizer, info) = try loadTokenizer(settings)
        let source = try makeSource(settings, endOfText: info.endOfText)
        try beginOutput(directory: settings.directory)
        do {
            let summaries = try (0..<worldSize).map {
                try prepareShard(settings: settings, source: source, tokenizer: tokenizer, info: info, rank: $0, worldSize: worldSize)
            }
            let manifest = try ManifestBuilder.build(settings: settings, tokenizer: info, summaries: summaries, command: command)
            try ManifestBuilder.write(manifest, directory: settings.directory)
            return manifest
        } catch {
            abandonOutput(settings: settings, worldSize: worldSize)
            throw error
        }
    }
}
