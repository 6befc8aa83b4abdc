import Support

/// One `ddtrain` subcommand: its name, a one-line summary, its help text and its entry point.
struct Command {
    let name: String
    let summary: String
    /// Full help: usage line, description and every flag.
    let help: String
    /// The flags it accepts (names without leading dashes; `true` when the flag takes a value).
    /// Nil for commands with subcommands of their own (`bench`, `selftest`), which parse their arguments themselves.
    let options: [String: Bool]?
    /// Runs the command with its parsed arguments and returns the exit code.
    let run: (Arguments) throws -> Int32
}

/// Every subcommand, in the order `ddtrain --help` lists them.
let allCommands: [Command] = [
    prepareCommand, inspectCommand, trainCommand, superviseCommand, evalCommand, planCommand, calibrateCommand,
    sweepCommand, reportCommand, exportCommand, sampleCommand, configCommand, benchCommand, envCommand, selftestCommand,
]

/// A part of a command with subcommands (`ddtrain bench step`, `ddtrain selftest collectives`).
struct Subcommand {
    let name: String
    let summary: String
    let help: String
    let options: [String: Bool]
    let run: (Arguments) throws -> Int32
}

/// Builds a command that dispatches on its first positional argument to one of `parts`.
func commandWithSubcommands(name: String, summary: String, parts: [Subcommand]) -> Command {
    var help = "usage: ddtrain \(name) <part> [options]      ddtrain \(name) <part> --help\n\n\(summary)\n\nparts:\n"
    for p in parts { help += "  " + p.name.padded(10) + " " + p.summary + "\n" }
    return Command(name: name, summary: summary, help: help, options: nil) { args in
        guard let partName = args.positionals.first else {
            throw DDError.usage("ddtrain \(name): name a part (\(parts.map(\.name).joined(separator: ", ")))")
        }
        guard let part = parts.first(where: { $0.name == partName }) else {
            throw DDError.usage("ddtrain \(name): unknown part '\(partName)' (one of: \(parts.map(\.name).joined(separator: ", ")))")
        }
        let rest = Array(args.positionals.dropFirst())
        if rest.contains("--help") || rest.contains("-h") { print(part.help); return 0 }
        return try part.run(try Arguments(rest, options: part.options, command: "\(name) \(part.name)"))
    }
}
