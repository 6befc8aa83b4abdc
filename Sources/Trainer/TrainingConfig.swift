import Corpus
import Curriculum
import Support
import Transformer

/// A whole training config: the JSON file with `--set` overrides applied, parsed section by section.
/// Unknown keys anywhere fail with their full path. The model section is parsed once the data's vocabulary is
/// known (`modelConfig(vocabulary:)`), so a vocabulary mismatch is caught before anything is written.
public struct TrainingConfig {
    /// The resolved config (overrides applied), as saved in the run folder.
    public let json: JSON
    public let data: PrepareSettings
    public let curriculum: CurriculumConfig
    public let optim: OptimConfig
    public let run: RunConfig
    public let eval: EvalConfig
    /// The warning line when the launch layout (DDTRAIN_THREADS) replaced a different train.threads (`LayoutThreads`).
    public private(set) var threadsWarning: String?
    private let modelSection: JSON

    /// Reads `path`, applies `overrides` (key.path=value), then the launch layout's threads (`LayoutThreads`:
    /// `layoutThreads`, by default DDTRAIN_THREADS), and parses every section.
    public static func load(path: String, overrides: [String],
                            layoutThreads: String? = LayoutThreads.environmentValue) throws -> TrainingConfig {
        guard FileIO.exists(path) else {
            throw DDError.file(path, "config file not found", fix: "pass an existing JSON config, e.g. configs/default.json")
        }
        return try launched(try ConfigOverrides.apply(overrides, to: try FileIO.readJSON(path)), layoutThreads: layoutThreads)
    }

    /// Parses `json` for a run about to start: train.threads comes from the launch layout when it sets one.
    public static func launched(_ json: JSON, layoutThreads: String? = LayoutThreads.environmentValue) throws -> TrainingConfig {
        let (resolved, warning) = try LayoutThreads.apply(to: json, value: layoutThreads)
        var config = try TrainingConfig(json: resolved)
        config.threadsWarning = warning
        return config
    }

    public init(json: JSON) throws {
        let root = try ConfigReader(json)
        data = try PrepareSettings.parse(try root.section("data"))
        modelSection = root.raw("model") ?? .object([])
        curriculum = try CurriculumConfig.parse(try root.section("curriculum"))
        optim = try OptimConfig.parse(try root.section("optim"))
        run = try RunConfig.parse(try root.section("train"))
        eval = try EvalConfig.parse(try root.section("eval"))
        _ = root.raw("name")
        _ = root.raw("description")
        try root.finish()
        self.json = json
        // Parse the model section now too (against a placeholder vocabulary) so its mistakes surface early.
        _ = try modelConfig(vocabulary: nil)
    }

    /// The model section, with the vocabulary taken from the data (a different explicit value is an error).
    public func modelConfig(vocabulary: Int?) throws -> ModelConfig {
        let r = try ConfigReader(modelSection, path: "model")
        let c = try ModelConfig.parse(r, vocab: vocabulary ?? 257)
        try c.validate()
        return c
    }

    /// SHA-256 of the sections that define what is trained (data, model, curriculum, optimizer): a resumed run
    /// must match it. The "train" and "eval" sections (checkpoint cadence, step limits) may change on resume.
    public var identityHash: String {
        let identity = JSON.obj(["data": json["data"] ?? .null, "model": json["model"] ?? .null,
                                 "curriculum": json["curriculum"] ?? .null, "optim": json["optim"] ?? .null,
                                 "seed": json["train"]?["seed"] ?? .null])
        return SHA256.hex(of: Array(identity.compact.utf8))
    }
}
