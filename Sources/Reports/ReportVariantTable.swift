import Support

/// The report's per-variant Markdown: mean ± sd over seeds of every measure, each variant against the baseline, and
/// every pair of variants on held-out loss overall and at the longest length, resolved or not.
public enum ReportVariantTable {
    /// The variant table, its legend and the pairwise differences.
    public static func markdown(_ rows: [ReportVariantRow], baseline: String?) -> String {
        var md = "## Variants (mean ± sd over seeds)\n\n" + table(rows, baseline: baseline) + "\n" + legend(baseline: baseline)
        let mixed = rows.filter { !$0.configsAgree }.map(\.name)
        if !mixed.isEmpty {
            md += "\nWarning: the runs of \(mixed.joined(separator: ", ")) differ in more than their seeds (train.seed, "
            md += "curriculum.seed), so their spread is not seed noise alone.\n"
        }
        guard rows.count >= 2 else { return md }
        md += "\n## Differences between variants\n\nRow minus column, in nats/token. " + SeedDifference.legend + "\n\n"
        md += "Held-out loss (all evaluated layouts):\n\n" + pairwise(rows) { $0.finalLoss }
        if let longest = longestLength(rows) {
            md += "\nHeld-out loss at the longest length, \(longest) tokens:\n\n" + pairwise(rows) { $0.bucketLosses[longest] }
        }
        return md
    }

    /// The longest bucket length at which every variant was scored (nil: none is shared).
    public static func longestLength(_ rows: [ReportVariantRow]) -> Int? {
        guard let first = rows.first else { return nil }
        return rows.dropFirst().reduce(Set(first.bucketLosses.keys)) { $0.intersection($1.bucketLosses.keys) }.max()
    }

    /// One row per variant.
    public static func table(_ rows: [ReportVariantRow], baseline: String?) -> String {
        let lengths = Set(rows.flatMap(\.bucketLosses.keys)).sorted()
        var header = ["variant", "setup", "seeds", "held-out loss", "Δ loss vs baseline"] + lengths.map { "loss @\($0)" }
        header += ["tokens/s", "wall time (s)", "time to baseline loss (s)", "÷ baseline wall time", "tokens to baseline loss"]
        var md = "| " + header.joined(separator: " | ") + " |\n|" + header.map { _ in "---" }.joined(separator: "|") + "|\n"
        for r in rows {
            var cells = [r.name, r.setup, seedsText(r.seeds), r.finalLoss.text(4),
                         r.name == baseline ? "(baseline)" : (r.lossVsBaseline?.text(4) ?? "—")]
            cells += lengths.map { r.bucketLosses[$0]?.text(4) ?? "—" }
            cells += [r.tokensPerSecond.text(0), r.wallSeconds.text(1), reached(r.timeToTarget, of: r.runCount, 1),
                      r.timeToTargetShare.isFinite ? fixed(r.timeToTargetShare, 2) : "—", reached(r.tokensToTarget, of: r.runCount, 0)]
            md += "| " + cells.joined(separator: " | ") + " |\n"
        }
        return md
    }

    /// What the cells mean.
    static func legend(baseline: String?) -> String {
        var md = "Each cell is the mean ± the sample standard deviation (divisor n − 1) over the variant's seeds; one seed shows "
        md += "its value alone. "
        if let baseline {
            md += "Times to the baseline loss are to **\(baseline)**'s mean final held-out loss, over the seeds that reached it "
            md += "(\"k of n\" when not all did); ÷ baseline wall time is that mean over \(baseline)'s mean wall time. "
        }
        return md + SeedDifference.legend + "\n"
    }

    /// Row minus column for every pair of variants, on the measure `value` picks (nil: not measured).
    static func pairwise(_ rows: [ReportVariantRow], _ value: (ReportVariantRow) -> SeedStatistics?) -> String {
        var md = "| | " + rows.map(\.name).joined(separator: " | ") + " |\n|---|" + rows.map { _ in "---" }.joined(separator: "|") + "|\n"
        for a in rows {
            let cells = rows.map { b -> String in
                guard a.name != b.name, let x = value(a), let y = value(b) else { return "—" }
                return SeedDifference(x, y).text(3)
            }
            md += "| \(a.name) | " + cells.joined(separator: " | ") + " |\n"
        }
        return md
    }

    /// "3 (1, 2, 3)": the count and the seeds from the run names.
    static func seedsText(_ seeds: [Int?]) -> String {
        let known = seeds.compactMap { $0 }
        return known.isEmpty ? String(seeds.count) : "\(seeds.count) (\(known.map(String.init).joined(separator: ", ")))"
    }

    /// Statistics over the seeds that reached the target, "not reached" when none did.
    static func reached(_ s: SeedStatistics, of n: Int, _ decimals: Int) -> String {
        guard s.count > 0 else { return "not reached" }
        return s.text(decimals) + (s.count < n ? " (\(s.count) of \(n) reached)" : "")
    }
}
