import Corpus
import Support

/// The prepared data is the truth: the keys a config's `data` section states must agree with the settings its
/// manifest records (tokenizer, buckets, pieces, baselines, valid share, sources, ...). Keys the section leaves
/// out are taken from the manifest, so a config without a data section (or with only `dir`) trains on whatever
/// was prepared.
public enum DataAgreement {
    /// The settings compared, as the config and the manifest's "settings" object name them.
    static let comparedKeys = ["tokenizer", "min_bucket", "max_bucket", "pieces", "long_docs", "seed", "valid_fraction",
                               "baselines", "sources", "format", "text_field"]

    /// Each stated key whose value differs from the manifest's, as "key: config X, prepared Y".
    public static func differences(config: PrepareSettings, stated: Set<String>, manifest: Manifest) -> [String] {
        guard let prepared = manifest.json["settings"] else { return [] }
        let mine = config.json
        return comparedKeys.filter(stated.contains).compactMap { key in
            // The tokenizer the shards hold is the manifest's own record, not only the settings it was asked for.
            let recorded = key == "tokenizer" ? JSON.string(manifest.tokenizer.name) : prepared[key] ?? .null
            let a = normalized(key, mine[key] ?? .null), b = normalized(key, recorded)
            return same(key, a, b) ? nil : "\(key): config \(a.compact), prepared \(b.compact)"
        }
    }

    /// Throws one line naming every differing key and both values.
    public static func check(config: PrepareSettings, section: JSON?, manifest: Manifest) throws {
        let stated = Set(section?.objectValue?.map(\.0) ?? [])
        let diffs = differences(config: config, stated: stated, manifest: manifest)
        guard !diffs.isEmpty else { return }
        throw DDError.config("data", "the config differs from the data prepared in \(config.directory): " + diffs.joined(separator: "; "),
                             fix: "remove these keys from the data section to train on the prepared data, or prepare again with this config")
    }

    /// The config with every compared key its data section leaves out filled in from the manifest (stated keys
    /// first, in their order, then the rest in `comparedKeys` order), so the saved config.json names the data the
    /// run trained on and resuming with either file gives the same identity. Checks the stated keys first.
    public static func resolved(_ config: TrainingConfig, manifest: Manifest) throws -> TrainingConfig {
        let section = config.json["data"]
        try check(config: config.data, section: section, manifest: manifest)
        guard let prepared = manifest.json["settings"] else { return config }
        var pairs = section?.objectValue ?? []
        let missing = comparedKeys.filter { key in !pairs.contains { $0.0 == key } }
        guard !missing.isEmpty else { return config }
        for key in missing { if let v = prepared[key] { pairs.append((key, v)) } }
        return try TrainingConfig(json: config.json.setting("data", to: .object(pairs)))
    }

    /// What the run trains on, in one line: the manifest's settings.
    public static func summary(_ manifest: Manifest, directory: String) -> String {
        let s = manifest.json["settings"]
        let baselines = s?["baselines"]?.arrayValue?.compactMap(\.intValue) ?? []
        return "data: \(directory): tokenizer \(manifest.tokenizer.name), buckets 2^\(manifest.minBucket)..2^\(manifest.maxBucket)"
            + (baselines.isEmpty ? "" : ", baselines \(baselines.map(String.init).joined(separator: " "))")
            + ", valid share \(manifest.validFraction), \(manifest.shardCount) shard(s), from \(s?["sources"]?.arrayValue?.compactMap(\.stringValue).joined(separator: " ") ?? "?")"
    }

    /// Whether two normalized values agree. Source paths were written relative to wherever `prepare` ran, so a
    /// relative path agrees with an absolute one that ends with it.
    private static func same(_ key: String, _ a: JSON, _ b: JSON) -> Bool {
        guard key == "sources", let x = a.arrayValue?.compactMap(\.stringValue), let y = b.arrayValue?.compactMap(\.stringValue),
              x.count == y.count else { return a == b }
        return zip(x, y).allSatisfy { p, q in p == q || p.hasSuffix("/" + q) || q.hasSuffix("/" + p) }
    }

    /// Values compared as meant: baselines as a sorted list, source paths without a leading "./".
    private static func normalized(_ key: String, _ v: JSON) -> JSON {
        switch key {
        case "baselines": return .ints((v.arrayValue ?? []).compactMap(\.intValue).sorted())
        case "sources":
            return .array((v.arrayValue ?? [v]).compactMap(\.stringValue).map { .string($0.hasPrefix("./") ? String($0.dropFirst(2)) : $0) })
        default: return v
        }
    }
}
