import Support
import Trainer

/// One run of a sweep: its name (also its run folder's name) and its resolved config.
public struct SweepVariant: Equatable {
    /// Unique within the sweep; safe as a folder name.
    public let name: String
    /// The base config with the sweep's overrides applied (and "name" set to `name`).
    public let config: JSON
    /// The overrides that make this variant, in the order they were applied (key path, value).
    public let overrides: [(String, JSON)]

    /// Same name, config and overrides (in order).
    public static func == (a: SweepVariant, b: SweepVariant) -> Bool {
        a.name == b.name && a.config == b.config && a.overrides.count == b.overrides.count
            && zip(a.overrides, b.overrides).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }
}

/// A sweep file: a base config and the variants to run, as a grid and/or a list of overrides, times seeds.
///
///     {
///       "name": "curricula",                      (default: the file's name)
///       "base": "configs/repro.json",             (required; relative to the current folder, else to the sweep file)
///       "set": { "train.eval_every": 16 },        (overrides applied to every variant)
///       "variants": [ { "name": "dd", "set": {...}, "base": "..." }, ... ],   (default: one unnamed variant)
///       "grid": { "curriculum.cycles": [1, 8] },  (every combination, crossed with every listed variant)
///       "seeds": [1, 2],                          (each variant once per seed; default: the config's own seed)
///       "seed_keys": ["train.seed"],              (the keys a seed is written to)
///       "out": "runs/sweeps/curricula",           (default runs/sweeps/<name>)
///       "baseline": "concat"                      (the variant whose (mean) final loss sets the time-to-target column;
///                                                  with seeds, name it without ",seed=N")
///     }
///
/// Variants run in file order: list entries outermost, then grid points (last key varying fastest), then seeds.
public struct SweepFile {
    public let name: String
    public let path: String
    /// Folder holding one run folder per variant and the report.
    public let outDirectory: String
    /// Name of the baseline variant (a variant name, or with seeds the name less ",seed=N"), if any.
    public let baseline: String?
    public let variants: [SweepVariant]

    /// Reads and expands a sweep file; every variant's config is parsed, so a bad key fails here, naming it.
    /// `extraSets` ("key.path=value", as for `train --set`) apply to every variant after the file's own overrides.
    public static func load(path: String, outOverride: String? = nil, extraSets: [String] = []) throws -> SweepFile {
        guard FileIO.exists(path) else {
            throw DDError.file(path, "sweep file not found", fix: "pass an existing sweep file, e.g. configs/sweep-smoke.json")
        }
        return try SweepFile(json: try FileIO.readJSON(path), path: path, outOverride: outOverride, extraSets: extraSets)
    }

    /// Expands the sweep described by `json` (read from `path`, used to resolve relative base configs).
    public init(json: JSON, path: String, outOverride: String? = nil, extraSets: [String] = []) throws {
        self.path = path
        let r = try ConfigReader(json, path: "")
        let fileName = String(path.split(separator: "/").last ?? "sweep").split(separator: ".").first.map(String.init) ?? "sweep"
        name = try r.string("name", default: fileName)
        _ = r.raw("description")
        let basePath = try r.string("base")
        let common = try SweepFile.overrides(r, "set", file: path)
        let list = try SweepFile.listEntries(r, file: path)
        let grid = try SweepFile.gridPoints(r, file: path)
        let seeds = try r.intArray("seeds", default: [])
        let seedKeys = try r.stringArray("seed_keys", default: ["train.seed"])
        let out = try r.string("out", default: "runs/sweeps/\(SweepFile.safeName(name))")
        baseline = try r.optionalString("baseline")
        try r.finish()
        outDirectory = outOverride ?? out
        if let bad = seeds.first(where: { $0 < 0 }) {
            throw DDError.config("\(path): seeds", "seed \(bad) is negative", fix: "use seeds >= 0")
        }

        var expanded: [SweepVariant] = []
        var baseCache: [String: JSON] = [:]
        for entry in list {
            let base = try SweepFile.resolveBase(entry.base ?? basePath, sweepPath: path, cache: &baseCache)
            for point in grid {
                let seedChoices: [Int?] = seeds.isEmpty ? [nil] : seeds.map { $0 }
                for seed in seedChoices {
                    var sets = common + entry.set + point
                    var parts = entry.name.map { [$0] } ?? []
                    parts += point.map { SweepFile.label($0.0, $0.1) }
                    if let seed {
                        sets += seedKeys.map { ($0, JSON.int(seed)) }
                        parts.append("seed=\(seed)")
                    }
                    let variantName = SweepFile.safeName(parts.isEmpty ? name : parts.joined(separator: ","))
                    var config = base
                    do {
                        for (key, value) in sets { config = try ConfigOverrides.apply("\(key)=\(value.compact)", to: config) }
                        config = try ConfigOverrides.apply(extraSets, to: config)
                    } catch let e as DDError {
                        throw DDError("\(path): variant \(variantName): \(e.message)")
                    }
                    config = config.setting("name", to: .string(variantName))
                    do {
                        _ = try TrainingConfig(json: config)
                    } catch let e as DDError {
                        throw DDError("\(path): variant \(variantName): \(e.message)")
                    }
                    expanded.append(SweepVariant(name: variantName, config: config, overrides: sets))
                }
            }
        }
        var seen = Set<String>()
        for v in expanded where !seen.insert(v.name).inserted {
            throw DDError.config("\(path): variants", "two variants are both named \"\(v.name)\"",
                                 fix: "give list entries distinct \"name\"s or drop the repeated grid value")
        }
        if let baseline, !seen.contains(baseline), !expanded.contains(where: { ReportGroup.variant(ofRun: $0.name).variant == baseline }) {
            throw DDError.config("\(path): baseline", "no variant is named \"\(baseline)\" (variants: \(expanded.map(\.name).joined(separator: ", ")))",
                                 fix: "name one of the variants (with seeds, its name without \",seed=N\")")
        }
        variants = expanded
    }

    /// The run folder of a variant.
    public func runDirectory(_ v: SweepVariant) -> String { outDirectory + "/" + v.name }

    /// The sweep as written next to its runs (`sweep.json`): name, baseline and each variant's overrides.
    public var json: JSON {
        .obj([
            "name": .string(name), "file": .string(path), "baseline": baseline.map { .string($0) } ?? .null,
            "variants": .array(variants.map { v in
                .obj(["name": .string(v.name), "overrides": .object(v.overrides.map { ($0.0, $0.1) })])
            }),
        ])
    }

    // MARK: parsing helpers

    private struct ListEntry {
        var name: String?
        var base: String?
        var set: [(String, JSON)]
    }

    /// An object of key path → value, kept in file order.
    private static func overrides(_ r: ConfigReader, _ key: String, file: String) throws -> [(String, JSON)] {
        guard let j = r.raw(key) else { return [] }
        guard let pairs = j.objectValue else {
            throw DDError.config("\(file): \(r.keyPath(key))", "expected an object of key paths to values, got \(j.kindName)",
                                 fix: "write e.g. {\"curriculum.cycles\": 8}")
        }
        for (k, _) in pairs where k.isEmpty || k.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) {
            throw DDError.config("\(file): \(r.keyPath(key))", "key path \"\(k)\" has an empty part", fix: "write key paths like \"optim.lr\"")
        }
        return pairs
    }

    private static func listEntries(_ r: ConfigReader, file: String) throws -> [ListEntry] {
        guard let j = r.raw("variants") else { return [ListEntry(name: nil, base: nil, set: [])] }
        guard let items = j.arrayValue, !items.isEmpty else {
            throw DDError.config("\(file): variants", "expected a non-empty array of {\"name\", \"set\"} objects, got \(j.kindName)",
                                 fix: "write [{\"name\": \"dd\", \"set\": {\"curriculum.batching\": \"bucket\"}}]")
        }
        return try items.enumerated().map { n, item in
            let e = try ConfigReader(item, path: "variants[\(n)]")
            let entry = ListEntry(name: try e.string("name"), base: try e.optionalString("base"),
                                  set: try overrides(e, "set", file: file))
            do { try e.finish() } catch let err as DDError { throw DDError("\(file): \(err.message)") }
            return entry
        }
    }

    /// The grid's points: every combination of the listed values, the last key varying fastest.
    private static func gridPoints(_ r: ConfigReader, file: String) throws -> [[(String, JSON)]] {
        var points: [[(String, JSON)]] = [[]]
        for (key, values) in try overrides(r, "grid", file: file) {
            guard let list = values.arrayValue, !list.isEmpty else {
                throw DDError.config("\(file): grid.\(key)", "expected a non-empty array of values, got \(values.kindName)",
                                     fix: "list the values to try, e.g. [1, 8]")
            }
            points = points.flatMap { p in list.map { p + [(key, $0)] } }
        }
        return points
    }

    private static func resolveBase(_ base: String, sweepPath: String, cache: inout [String: JSON]) throws -> JSON {
        if let j = cache[base] { return j }
        var candidates = [base]
        if !base.hasPrefix("/"), let slash = sweepPath.lastIndex(of: "/") {
            candidates.append(String(sweepPath[..<slash]) + "/" + base)
        }
        guard let found = candidates.first(where: FileIO.exists) else {
            throw DDError.file(sweepPath, "base config \"\(base)\" not found (looked at \(candidates.joined(separator: ", ")))",
                               fix: "give a path relative to the current folder or to the sweep file")
        }
        let j = try FileIO.readJSON(found)
        cache[base] = j
        return j
    }

    /// "cycles=8" for ("curriculum.cycles", 8): the key's last part and the value without quotes.
    static func label(_ key: String, _ value: JSON) -> String {
        let short = key.split(separator: ".").last.map(String.init) ?? key
        return "\(short)=\(value.stringValue ?? value.compact)"
    }

    /// Keeps letters, digits and . _ = , + -; anything else (slashes, spaces, quotes) becomes '-'.
    static func safeName(_ s: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._=,+-")
        let mapped = String(s.map { allowed.contains($0) ? $0 : "-" })
        return mapped.hasPrefix(".") ? "-" + mapped.dropFirst() : mapped
    }
}
