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
      --out DIR        output folder (default: REPORT next to the runs, i.e. the first run's parent/report)
      --baseline NAME  the run (folder name) whose final held-out loss is the target (default: the first concat run)
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
        print(ReportTable.comparison(report.rows, hasBaseline: report.baseline?.finalEval?.loss != nil), terminator: "")
        print("report: \(out)/report.md, \(report.figures.count) figures in \(out)/figures")
    }
    return 0
}
