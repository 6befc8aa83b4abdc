import Comm
import Kernels
import Support
import Trainer
#if canImport(Glibc)
import Glibc
#endif

/// Entry point: dispatches to a subcommand, turns every thrown error into one line and a non-zero exit.
let argv = Array(CommandLine.arguments.dropFirst())
setvbuf(stdout, nil, _IOLBF, 0)

func printTopLevelHelp() {
    print("ddtrain: dataset-decomposition trainer for transformer language models (CPU, MPI, OpenBLAS)\n")
    print("usage: ddtrain <command> [options]      ddtrain <command> --help\n")
    print("commands:")
    for c in allCommands { print("  " + c.name.padded(10) + " " + c.summary) }
}

guard let name = argv.first, name != "--help", name != "-h", name != "help" else {
    printTopLevelHelp()
    exit(argv.isEmpty ? 2 : 0)
}
guard let command = allCommands.first(where: { $0.name == name }) else {
    FileHandleStderr.write("ddtrain: unknown command '\(name)' (run 'ddtrain --help' for the list)\n")
    exit(2)
}
let rest = Array(argv.dropFirst())
let wantsHelp = command.options == nil ? (rest.first == "--help" || rest.first == "-h") : (rest.contains("--help") || rest.contains("-h"))
if wantsHelp {
    print(command.help)
    exit(0)
}
do {
    try KernelDispatch.configure()
    let args = try command.options.map { try Arguments(rest, options: $0, command: command.name) } ?? Arguments(raw: rest)
    let code = try command.run(args)
    Failure.finish()
    exit(code)
} catch let stop as TrainingInterrupted {
    // A graceful stop, agreed by every rank: one line from rank 0, MPI shut down cleanly, exit 130 or 143.
    if ProcessContext.rank == 0 { FileHandleStderr.write("ddtrain: \(stop.message)\n") }
    Failure.finish()
    exit(stop.exitCode)
} catch {
    Failure.fail(error)
}
