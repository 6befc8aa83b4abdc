import Support

/// A comparison report of finished runs: Markdown table, JSON rows and SVG figures.
public struct Report {
    public let title: String
    public let runs: [ReportRun]
    public let baseline: ReportRun?
    public let rows: [ReportRow]
    /// (file name, SVG document) of every figure.
    public let figures: [(name: String, svg: String)]

    /// Reads the run folders and computes everything; `baseline` names the run whose final loss is the target.
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
        self.baseline = try ReportRows.baseline(runs, named: baseline)
        rows = ReportRows.make(runs, baseline: self.baseline)
        figures = ReportPlots.all(runs)
    }

    /// The Markdown document (figures linked from `figures/`).
    public var markdown: String {
        ReportTable.markdown(title: title, rows: rows, runs: runs, baseline: baseline, figures: figures.map { "figures/" + $0.name })
    }

    /// The rows and baseline as one JSON object.
    public var json: JSON {
        .obj(["title": .string(title), "baseline": baseline.map { .string($0.name) } ?? .null,
              "runs": .array(rows.map(\.json))])
    }

    /// Writes OUT/report.md, OUT/report.json and OUT/figures/*.svg (each file atomically).
    public func write(to directory: String) throws {
        try FileIO.makeDirectories(directory + "/figures")
        for f in figures { try AtomicFile.write(f.svg, to: directory + "/figures/" + f.name) }
        try AtomicFile.write(json.pretty, to: directory + "/report.json")
        try AtomicFile.write(markdown, to: directory + "/report.md")
    }
}
