import Support

/// A variant: the runs that differ only by seed. A sweep names a variant's runs `NAME,seed=N` (see SweepFile), so a
/// run folder's name less its `seed=N` part is its variant; a name without one is a variant of one run.
public struct ReportGroup {
    /// The variant's name (the run names less their `seed=N` part).
    public let name: String
    /// The variant's runs, in the order given to the report.
    public let runs: [ReportRun]
    /// Each run's seed from its name (nil: the name carries none).
    public let seeds: [Int?]

    /// The name plots and tables show: the variant with its seed count, or the run's own name when it is alone.
    public var label: String { runs.count == 1 ? runs[0].name : "\(name) (\(runs.count) seeds)" }

    /// Whether the runs' configs agree once the run name and the seeds (train.seed, curriculum.seed) are set aside;
    /// when they do not, the variant mixes different setups and its statistics mean little.
    public var configsAgree: Bool {
        let first = ReportGroup.withoutSeeds(runs[0].config)
        return runs.dropFirst().allSatisfy { ReportGroup.withoutSeeds($0.config) == first }
    }

    static func withoutSeeds(_ config: JSON) -> JSON {
        var c = config.setting("name", to: .null)
        for section in ["train", "curriculum"] where c[section] != nil {
            c = c.setting(section, to: c[section]!.setting("seed", to: .null))
        }
        return c
    }

    /// Splits a run name into its variant and seed: "dd,cycles=8,seed=3" → ("dd,cycles=8", 3); "concat" → ("concat", nil).
    public static func variant(ofRun name: String) -> (variant: String, seed: Int?) {
        var parts = name.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard let i = parts.lastIndex(where: { $0.hasPrefix("seed=") && Int($0.dropFirst(5)) != nil }) else { return (name, nil) }
        let seed = Int(parts.remove(at: i).dropFirst(5))
        return (parts.isEmpty ? "seeds" : parts.joined(separator: ","), seed)
    }

    /// The variants of `runs`, in order of first appearance.
    public static func make(_ runs: [ReportRun]) -> [ReportGroup] {
        var order: [String] = [], members: [String: [ReportRun]] = [:]
        for r in runs {
            let v = variant(ofRun: r.name).variant
            if members[v] == nil { order.append(v) }
            members[v, default: []].append(r)
        }
        return order.map { v in
            ReportGroup(name: v, runs: members[v]!, seeds: members[v]!.map { variant(ofRun: $0.name).seed })
        }
    }
}
