import Corpus
import Support
import Transformer

/// A checkpoint file with what its run folder says about it: the model config (from the checkpoint header) and,
/// when present, the run's resolved training config (RUN/config.json next to RUN/checkpoints/), which names the
/// data folder and the tokenizer. Used by `export`, `eval` and `sample`, which start from a checkpoint alone.
public struct CheckpointContext {
    /// The checkpoint file.
    public let path: String
    /// Its header (model config, step, tensor table).
    public let header: JSON
    /// The model the checkpoint holds.
    public let modelConfig: ModelConfig
    /// The run's config.json, if one was found next to the checkpoints folder.
    public let runConfigPath: String?
    /// The parsed run config (nil without one).
    public let runConfig: TrainingConfig?

    /// Reads the checkpoint's header and looks for its run's config. `checkpoint` may also name a run folder or its
    /// checkpoints folder: the newest checkpoint there that verifies is taken.
    public init(checkpoint given: String) throws {
        guard FileIO.exists(given) else {
            throw DDError.file(given, "checkpoint not found", fix: "name a run folder or a RUN/checkpoints/checkpoint-*.ddt file written by ddtrain train")
        }
        let path = try Self.newestCheckpoint(in: given)
        self.path = path
        header = try CheckpointFile.readHeader(path: path)
        modelConfig = try Self.modelConfig(header: header, path: path)
        let folder = Self.parent(path)
        // RUN/checkpoints/FILE → RUN/config.json; a checkpoint copied elsewhere may sit beside its config.
        let candidates = (Self.lastComponent(folder) == "checkpoints" ? [Self.parent(folder) + "/config.json"] : []) + [folder + "/config.json"]
        if let found = candidates.first(where: FileIO.exists) {
            runConfigPath = found
            runConfig = try TrainingConfig.load(path: found, overrides: [])
        } else {
            runConfigPath = nil
            runConfig = nil
        }
    }

    /// The model config stored in a checkpoint header.
    public static func modelConfig(header: JSON, path: String) throws -> ModelConfig {
        guard let section = header["model"] else {
            throw DDError.file(path, "checkpoint header has no \"model\" section", fix: "use a checkpoint written by ddtrain train")
        }
        return try ModelConfig.parse(try ConfigReader(section, path: "\(path): model"))
    }

    /// Builds a model with room for `maxTokens` tokens and loads the checkpoint's parameters (checksums verified).
    public func loadModel(maxTokens: Int) throws -> Model {
        let ckpt = try CheckpointFile.read(path: path)
        let model = try Model(config: modelConfig, maxTokens: maxTokens, seed: 0)
        guard let params = ckpt.sections["params"], params.count == model.layout.count else {
            throw DDError.file(path, "has no parameter section of \(model.layout.count) floats for its model", fix: "use another checkpoint")
        }
        _ = params.withUnsafeBufferPointer { model.params.update(fromContentsOf: $0) }
        return model
    }

    /// The tokenizer the model was trained with: the run config's `data.tokenizer` (and `tokenizer_dir`), or, with no
    /// run config, the known tokenizer whose vocabulary matches the model's. Checked against the model's vocabulary.
    public func tokenizer(directoryOverride: String? = nil) throws -> (info: TokenizerInfo, directory: String) {
        let name: String, directory: String
        if let data = runConfig?.data {
            name = data.tokenizer
            directory = directoryOverride ?? data.tokenizerDirectory
        } else if let known = ["byte", "gpt2"].compactMap(TokenizerInfo.known).first(where: { $0.vocabularySize == modelConfig.vocab }) {
            name = known.name
            directory = directoryOverride ?? PrepareSettings().tokenizerDirectory
        } else {
            throw DDError.file(path, "has no run config.json beside its checkpoints folder and its vocabulary \(modelConfig.vocab) matches no known tokenizer",
                               fix: "keep the checkpoint inside its run folder")
        }
        guard let info = TokenizerInfo.known(name), info.vocabularySize == modelConfig.vocab else {
            throw DDError.file(runConfigPath ?? path, "tokenizer \"\(name)\" does not match the model's vocabulary \(modelConfig.vocab)",
                               fix: "use the run's own config.json")
        }
        return (info, directory)
    }

    /// The longest sequence the run trained on (from its data manifest), else the default largest bucket 2^13.
    public var longestTrainedLength: Int {
        let fallback = 1 << PrepareSettings().decomposition.maxBucket
        guard let data = runConfig?.data, let manifest = try? Manifest.read(directory: data.directory) else { return fallback }
        return manifest.layouts.map(\.trainedLength).max() ?? fallback
    }

    /// `path` itself when it is a file; for a run folder (holding checkpoints/) or a checkpoints folder, the newest
    /// checkpoint there that verifies (newer ones that do not are skipped with a warning).
    public static func newestCheckpoint(in path: String) throws -> String {
        guard FileIO.isDirectory(path) else { return path }
        let trimmed = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        let run: String
        if FileIO.isDirectory(trimmed + "/checkpoints") {
            run = trimmed
        } else if lastComponent(trimmed) == "checkpoints" {
            run = parent(trimmed)
        } else {
            throw DDError.file(path, "is a folder without checkpoints", fix: "name a run folder, its checkpoints/ folder or a checkpoint-*.ddt file")
        }
        guard let latest = try CheckpointStore(runDirectory: run, keep: 1).loadLatest() else {
            throw DDError.file(run + "/checkpoints", "holds no checkpoint yet", fix: "train the run first, or name a checkpoint file")
        }
        Log.info("checkpoint: \(latest.path)")
        return latest.path
    }

    /// The folder holding `path` ("." for a bare name).
    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The last component of a path.
    static func lastComponent(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
