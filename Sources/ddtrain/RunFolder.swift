/// The run folder of a `train` invocation: `--out`, else `runs/<config file name without extension>`.
func runFolder(_ args: Arguments, configPath: String) -> String {
    let name = configPath.split(separator: "/").last.map { String($0.split(separator: ".").first ?? $0) } ?? "run"
    return args.value("out") ?? "runs/\(name)"
}
