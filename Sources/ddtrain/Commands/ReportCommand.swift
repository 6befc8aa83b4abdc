import Reports
import Support
import Trainer

/// `ddtrain report`: compares run folders in a Markdown table with SVG figures.
let reportCommand = Command(
    name: "report", summary: "compare runs: Markdown table (loss, tokens/s, FLOPs, time to target) and SVG plots",
    help: """
    usage: ddtrain report RUNDIR... [--out DIR] [--baseline NAME] [--title TEXT] [--json]

    Reads each run folder (config.json, metrics.jsonl, summary.json) and writes DIR/report.md, DIR/report.json and
    DIR/figures/*.svg: held-out loss vs tokens and vs wall time, sequence length over steps, loss per length and
    step time per length. Table columns: final held-out loss overall and per bucket length, tokens, wall time,
    tokens/s, attention share of FLOPs, average context length and the time to reach the baseline's final loss.
    Runs named NAME,seed=N (a sweep with "seeds") form variant NAME: a table of mean ± sd over its seeds comes
    first, with each difference marked resolved only when it exceeds twice the larger sd, and the plots draw each
    variant's mean with a min–max band. The CPU, kernels and precision of summary.json head the report.
      --out DIR        output folder (default: REPORT next to the runs, i.e. the first run's parent/report)
      --baseline NAME  the run or variant whose (mean) final held-out loss is the target (default: the first concat one)
      --title TEXT     the report's heading (default "Run report")
      --json           print report.json on stdout instead of the table
    """,
    options: ["out": true, "baseline": true, "title": true, "json": false]
) { args in
    let dirs = args.positionals
    let report = try Report(runDirectories: dirs, baseline: args.value("baseline"), title: args.value("title") ?? "Run report")
    let first = dirs[0].hasSuffix("/") ? String(dirs[0].dropLast()) : dirs[0]
    let parent = first.contains("/") ? String(first[..<first.lastIndex(of: "/")!]) : "."
    let out = args.value("out") ?? parent + "/report"
    try report.write(to: out)
    if args.flag("json") {
        print(report.json.compact)
    } else {
        if report.hasSeeds { print(ReportVariantTable.table(report.variants, baseline: report.baseline?.name)) }
        print(ReportTable.comparison(report.rows, hasBaseline: report.hasTarget), terminator: "")
        print("report: \(out)/report.md, \(report.figures.count) figures in \(out)/figures")
    }
    return 0
}
