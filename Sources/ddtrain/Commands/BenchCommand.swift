import Kernels
import Support

/// `ddtrain bench <part>`: the benchmarks, each printing ratios measured in one run (`--json` for one object).
let benchCommand = commandWithSubcommands(
    name: "bench", summary: "benchmarks printed as ratios measured in one run (--json for machine-readable output)",
    parts: [benchCommPart, benchStepPart, benchAttentionPart, benchGemmPart, benchPreparePart, benchBalancePart, benchTrainPart, benchThreadsPart])

/// Prints a bench's JSON object with the CPU and kernel facts every bench reports (cpu_model, cpu_features,
/// kernel_level, kernels) appended.
func printBenchJSON(_ json: JSON) {
    guard case .object(let pairs) = json else { print(json.compact); return }
    let own = Set(pairs.map(\.0))
    print(JSON.object(pairs + KernelDispatch.reportFields.filter { !own.contains($0.0) }).compact)
}
