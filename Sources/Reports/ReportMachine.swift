import Support

/// The machine and kernels a run trained on, from its summary.json (cpu_model, kernel_level, kernels, precision),
/// so a report says where its wall times were measured.
public struct ReportMachine: Equatable {
    public var cpuModel: String
    public var kernelLevel: String
    /// Role → kernel, in the summary's order.
    public var kernels: [(role: String, kernel: String)]
    public var precision: String

    /// Same CPU, level, kernels and precision.
    public static func == (a: ReportMachine, b: ReportMachine) -> Bool {
        a.cpuModel == b.cpuModel && a.kernelLevel == b.kernelLevel && a.precision == b.precision
            && a.kernels.map(\.role) == b.kernels.map(\.role) && a.kernels.map(\.kernel) == b.kernels.map(\.kernel)
    }

    /// The machine of a finished run; nil when its summary lacks the fields (an unfinished run, or one written
    /// before the trainer recorded them).
    public init?(_ run: ReportRun) {
        guard let s = run.summary, let cpu = s["cpu_model"]?.stringValue, let level = s["kernel_level"]?.stringValue else { return nil }
        cpuModel = cpu
        kernelLevel = level
        kernels = (s["kernels"]?.objectValue ?? []).map { ($0.0, $0.1.stringValue ?? $0.1.compact) }
        precision = s["precision"]?.stringValue ?? "fp32"
    }

    /// One line: "CPU …; kernel level …; precision …; kernels: role kernel, …".
    public var text: String {
        "CPU \(cpuModel); kernel level \(kernelLevel); precision \(precision); kernels: "
            + (kernels.isEmpty ? "—" : kernels.map { "\($0.role) \($0.kernel)" }.joined(separator: ", "))
    }

    public var json: JSON {
        .obj(["cpu_model": .string(cpuModel), "kernel_level": .string(kernelLevel), "precision": .string(precision),
              "kernels": .object(kernels.map { ($0.role, JSON.string($0.kernel)) })])
    }

    /// The distinct machines of `runs` with the names of the runs on each, in order of first appearance.
    public static func distinct(_ runs: [ReportRun]) -> [(machine: ReportMachine, runs: [String])] {
        var out: [(machine: ReportMachine, runs: [String])] = []
        for r in runs {
            guard let m = ReportMachine(r) else { continue }
            if let i = out.firstIndex(where: { $0.machine == m }) { out[i].runs.append(r.name) } else { out.append((m, [r.name])) }
        }
        return out
    }

    /// The report's paragraph on where the runs trained: one line when they agree, one per setting (with a warning
    /// that wall times compare only within one) when they differ; nil when no summary records it.
    public static func markdown(_ runs: [ReportRun]) -> String? {
        let machines = distinct(runs)
        guard !machines.isEmpty else { return nil }
        let recorded = machines.reduce(0) { $0 + $1.runs.count }
        let missing = recorded < runs.count ? " (\(runs.count - recorded) run(s) did not record it)" : ""
        if machines.count == 1 { return "Machine: \(machines[0].machine.text)\(missing).\n" }
        var md = "Machines (wall times and tokens/s compare only between runs on the same one)\(missing):\n\n"
        for m in machines { md += "- \(m.machine.text): \(m.runs.joined(separator: ", "))\n" }
        return md
    }
}
