import Support

// Subcommands whose implementation lands with later issues. Each is replaced by its own file then.
private func pending(_ name: String, _ issue: String) -> Command {
    Command(name: name, summary: "(arrives with \(issue))", help: "ddtrain \(name): arrives with \(issue)", options: [:]) { _ in
        throw DDError("ddtrain \(name) is not part of this build yet (\(issue))")
    }
}
private func pendingPart(_ name: String, _ issue: String) -> Subcommand {
    Subcommand(name: name, summary: "(arrives with \(issue))", help: "arrives with \(issue)", options: [:]) { _ in
        throw DDError("\(name) is not part of this build yet (\(issue))")
    }
}
let sweepCommand = pending("sweep", "the Sweeps issue")
let reportCommand = pending("report", "the Sweeps issue")
