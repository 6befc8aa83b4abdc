import Support

/// One variant's figures over its seeds, as the report's variant table shows them.
public struct ReportVariantRow {
    public var name: String
    /// The name with the seed count (or the run's name when alone), as the plots label it.
    public var label: String
    public var setup: String
    /// Seeds from the run names, in run order (nil: a name without one).
    public var seeds: [Int?]
    /// Final held-out loss over every evaluated layout.
    public var finalLoss: SeedStatistics
    /// Final held-out loss per bucket length.
    public var bucketLosses: [Int: SeedStatistics]
    public var tokensPerSecond: SeedStatistics
    public var wallSeconds: SeedStatistics
    /// Seconds and tokens to the baseline variant's mean final loss, over the seeds that reached it.
    public var timeToTarget: SeedStatistics
    public var tokensToTarget: SeedStatistics
    /// Mean time to target over the baseline variant's mean wall time (NaN: no baseline, or never reached).
    public var timeToTargetShare: Double
    /// Final held-out loss against the baseline variant's (nil: no baseline).
    public var lossVsBaseline: SeedDifference?
    /// False when the runs' configs differ beyond the seeds.
    public var configsAgree: Bool

    /// How many runs (seeds) the variant has.
    public var runCount: Int { seeds.count }

    /// The row as JSON (report.json's "variants").
    public var json: JSON {
        .obj([
            "name": .string(name), "setup": .string(setup), "runs": .int(runCount),
            "seeds": .array(seeds.map { $0.map { .int($0) } ?? .null }),
            "final_loss": finalLoss.json,
            "loss_by_length": .object(bucketLosses.keys.sorted().map { (String($0), bucketLosses[$0]!.json) }),
            "tokens_per_s": tokensPerSecond.json, "wall_seconds": wallSeconds.json,
            "time_to_baseline_loss_s": timeToTarget.json, "tokens_to_baseline_loss": tokensToTarget.json,
            "time_to_baseline_loss_share_of_baseline_wall": timeToTargetShare.isFinite ? .number(timeToTargetShare) : .null,
            "loss_vs_baseline": lossVsBaseline.map { .obj(["delta": .number($0.delta), "resolved": .bool($0.resolved)]) } ?? .null,
            "configs_agree": .bool(configsAgree),
        ])
    }
}

/// Turns variants (runs grouped by seed) into variant rows, and finds the baseline variant.
public enum ReportVariants {
    /// The baseline variant: the one named `name` (a variant, or any of its runs), else the first whose runs train
    /// concat-and-chunk, else nil.
    public static func baseline(_ groups: [ReportGroup], named name: String?) throws -> ReportGroup? {
        if let name {
            guard let g = groups.first(where: { $0.name == name || $0.runs.contains { $0.name == name } }) else {
                throw DDError.usage("ddtrain report: --baseline \(name) names no run or variant "
                                    + "(variants: \(groups.map(\.name).joined(separator: ", ")))")
            }
            return g
        }
        return groups.first { $0.runs[0].batching == "concat" }
    }

    /// The target every run is timed to: the baseline variant's mean final held-out loss.
    public static func target(_ baseline: ReportGroup?) -> Double? {
        guard let baseline else { return nil }
        let s = SeedStatistics(baseline.runs.map { $0.finalEval?.loss ?? .nan })
        return s.count > 0 ? s.mean : nil
    }

    /// One row per variant; `rows` are the per-run rows (ReportRows.make) of the same runs.
    public static func make(_ groups: [ReportGroup], rows: [ReportRow], baseline: ReportGroup?) -> [ReportVariantRow] {
        let byName = Dictionary(rows.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let stats = groups.map { g -> (ReportGroup, [ReportRow]) in (g, g.runs.compactMap { byName[$0.name] }) }
        let baseRows = baseline.map { b in b.runs.compactMap { byName[$0.name] } }
        let baseLoss = baseRows.map { SeedStatistics($0.map(\.finalLoss)) }
        let baseWall = baseRows.map { SeedStatistics($0.map(\.wallSeconds)) }
        return stats.map { g, members in
            let lengths = Set(members.flatMap(\.bucketLosses.keys)).sorted()
            let loss = SeedStatistics(members.map(\.finalLoss))
            let time = SeedStatistics(members.map { $0.timeToBaseline?.seconds ?? .nan })
            return ReportVariantRow(
                name: g.name, label: g.label, setup: members.first.map(\.setup) ?? "", seeds: g.seeds, finalLoss: loss,
                bucketLosses: Dictionary(uniqueKeysWithValues: lengths.map { l in (l, SeedStatistics(members.map { $0.bucketLosses[l] ?? .nan })) }),
                tokensPerSecond: SeedStatistics(members.map(\.tokensPerSecond)), wallSeconds: SeedStatistics(members.map(\.wallSeconds)),
                timeToTarget: time, tokensToTarget: SeedStatistics(members.map { $0.timeToBaseline?.tokens ?? .nan }),
                timeToTargetShare: baseWall.map { time.mean / $0.mean } ?? .nan,
                lossVsBaseline: baseLoss.map { SeedDifference(loss, $0) }, configsAgree: g.configsAgree)
        }
    }
}
