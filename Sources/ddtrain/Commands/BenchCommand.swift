/// `ddtrain bench <part>`: the benchmarks, each printing ratios measured in one run (`--json` for one object).
let benchCommand = commandWithSubcommands(
    name: "bench", summary: "benchmarks printed as ratios measured in one run (--json for machine-readable output)",
    parts: [benchCommPart, benchStepPart, benchAttentionPart, benchGemmPart, benchPreparePart, benchBalancePart, benchTrainPart])
