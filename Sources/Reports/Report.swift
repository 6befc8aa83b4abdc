import Support

/// A comparison report of finished runs: Markdown tables, JSON rows and SVG figures. Runs that differ only by seed
/// (`NAME,seed=N`) form a variant, reported as mean ± sd over its seeds.
public struct Report {
    public let title: String
    public let runs: [ReportRun]
    /// The runs grouped by variant, in order of first appearance.
    public let groups: [ReportGroup]
    /// The variant whose mean final held-out loss is the time-to-target goal.
    public let baseline: ReportGroup?
    /// One row per run.
    public let rows: [ReportRow]
    /// One row per variant.
    public let variants: [ReportVariantRow]
    /// (file name, SVG document) of every figure.
    public let figures: [(name: String, svg: String)]

    /// Reads the run folders and computes everything; `baseline` names the variant (or one of its runs) whose mean
    /// final loss is the target.
    public init(runDirectories: [String], baseline: String? = nil, title: String = "Run report") throws {
        guard !runDirectories.isEmpty else {
            throw DDError.usage("ddtrain report: name at least one run folder (e.g. ddtrain report runs/a runs/b)")
        }
        self.title = title
        runs = try runDirectories.map { try ReportRun.load(directory: $0) }
        var seen = Set<String>()
        for r in runs where !seen.insert(r.name).inserted {
            throw DDError.usage("ddtrain report: two run folders are both named \(r.name) (fix: pass folders with distinct names)")
        }
        groups = ReportGroup.make(runs)
        self.baseline = try ReportVariants.baseline(groups, named: baseline)
        rows = ReportRows.make(runs, target: ReportVariants.target(self.baseline))
        variants = ReportVariants.make(groups, rows: rows, baseline: self.baseline)
        figures = ReportPlots.all(groups)
    }

    /// The Markdown document (figures linked from `figures/`).
    public var markdown: String {
        ReportTable.markdown(title: title, report: self, figures: figures.map { "figures/" + $0.name })
    }

    /// Whether some variant has more than one seed (the report then leads with the variant table).
    public var hasSeeds: Bool { groups.contains { $0.runs.count > 1 } }
    /// Whether a baseline gives a target loss (its mean final held-out loss).
    public var hasTarget: Bool { ReportVariants.target(baseline) != nil }

    /// The rows, variants, baseline and machines as one JSON object.
    public var json: JSON {
        .obj(["title": .string(title), "baseline": baseline.map { .string($0.name) } ?? .null,
              "runs": .array(rows.map(\.json)), "variants": .array(variants.map(\.json)),
              "machines": .array(ReportMachine.distinct(runs).map { m in
                  m.machine.json.setting("runs", to: .array(m.runs.map { .string($0) }))
              })])
    }

    /// Writes OUT/report.md, OUT/report.json and OUT/figures/*.svg (each file atomically).
    public func write(to directory: String) throws {
        try FileIO.makeDirectories(directory + "/figures")
        for f in figures { try AtomicFile.write(f.svg, to: directory + "/figures/" + f.name) }
        try AtomicFile.write(json.pretty, to: directory + "/report.json")
        try AtomicFile.write(markdown, to: directory + "/report.md")
    }
}
