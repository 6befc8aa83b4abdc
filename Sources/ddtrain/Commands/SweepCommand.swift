import Comm
import Reports
import Support
import Trainer

/// `ddtrain sweep`: every variant of a sweep file in one job, then the report.
let sweepCommand = Command(
    name: "sweep", summary: "run every variant of a sweep file (one job), skipping finished ones, then write the report",
    help: """
    usage: ddtrain sweep SWEEP.json [--out DIR] [--set key.path=value ...] [--only NAME ...] [--list] [--no-report] [--report-only]

    A sweep file names a base config, overrides for every variant (a grid and/or a list, any config key) and
    seeds (see configs/README.md). Under mpirun every rank walks the variants in the same order and trains each
    on the whole job. A variant whose folder holds summary.json is skipped; one with checkpoints but no summary
    resumes, so an interrupted sweep continues where it stopped. Ends with DIR/report (report.md, report.json,
    figures/*.svg) over the finished variants.
      --out DIR        folder of the runs and the report (default: the sweep file's "out", else runs/sweeps/NAME)
      --set key=value  override a config key in every variant (after the sweep's own overrides), repeatable
      --only NAME      run only this variant (repeatable; launch/sweep runs one variant per job this way)
      --list           print the variants' names, one per line, and exit
      --no-report      skip the report at the end
      --report-only    write the report over the finished variants without training
    """,
    options: ["out": true, "set": true, "only": true, "list": false, "no-report": false, "report-only": false]
) { args in
    guard args.positionals.count == 1 else {
        throw DDError.usage("ddtrain sweep: name one sweep file (e.g. ddtrain sweep configs/sweep-smoke.json)")
    }
    let sweep = try SweepFile.load(path: args.positionals[0], outOverride: args.value("out"), extraSets: args.all("set"))
    if args.flag("list") {
        for v in sweep.variants { print(v.name) }
        return 0
    }
    if !args.flag("report-only") {
        let comm = try World.communicator()
        Interruption.install()
        let only = args.all("only")
        let outcome = try SweepRunner.run(sweep, only: only.isEmpty ? nil : Set(only), comm: comm)
        if comm.rank == 0 {
            print("sweep \(sweep.name): \(outcome.ran.count) trained, \(outcome.resumed.count) resumed, \(outcome.skipped.count) already complete; runs in \(sweep.outDirectory)")
        }
        guard comm.rank == 0, !args.flag("no-report") else { return 0 }
    }
    let finished = SweepRunner.completedRuns(sweep)
    guard !finished.isEmpty else {
        throw DDError("sweep \(sweep.name): no variant has finished yet in \(sweep.outDirectory), so there is nothing to report (fix: run the sweep first)")
    }
    let baseline = SweepRunner.finishedBaseline(sweep)
    let report = try Report(runDirectories: finished, baseline: baseline, title: "Sweep \(sweep.name)")
    try report.write(to: sweep.outDirectory + "/report")
    if report.hasSeeds { print(ReportVariantTable.table(report.variants, baseline: report.baseline?.name)) }
    print(ReportTable.comparison(report.rows, hasBaseline: report.hasTarget), terminator: "")
    print("report: \(sweep.outDirectory)/report/report.md (\(finished.count) of \(sweep.variants.count) variants, \(report.figures.count) figures)")
    return 0
}
