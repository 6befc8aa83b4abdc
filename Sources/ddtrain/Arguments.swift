import Support

/// Parsed command-line arguments of one subcommand: positionals, valued options (repeatable) and flags.
struct Arguments {
    var positionals: [String] = []
    var values: [String: [String]] = [:]
    var flags: Set<String> = []
    /// Flags that may carry a value after `=` (`--resume=auto`); the value is read with `value(_:)`.
    static let flagsWithOptionalValue: Set<String> = ["resume"]

    /// Arguments left unparsed, all positional (for commands with subcommands).
    init(raw: [String]) { positionals = raw }

    /// Parses `argv` against `options` (name → takes a value). Unknown flags are usage errors (exit 2).
    init(_ argv: [String], options: [String: Bool], command: String) throws {
        var i = 0
        var onlyPositionals = false
        while i < argv.count {
            let a = argv[i]
            i += 1
            if onlyPositionals || !a.hasPrefix("-") || a == "-" { positionals.append(a); continue }
            if a == "--" { onlyPositionals = true; continue }
            var name = String(a.drop(while: { $0 == "-" }))
            var inline: String? = nil
            if let eq = name.firstIndex(of: "=") { inline = String(name[name.index(after: eq)...]); name = String(name[..<eq]) }
            guard let takesValue = options[name] else {
                throw DDError.usage("ddtrain \(command): unknown option '\(a)' (see 'ddtrain \(command) --help')")
            }
            if takesValue {
                if let inline { values[name, default: []].append(inline); continue }
                guard i < argv.count else { throw DDError.usage("ddtrain \(command): option --\(name) needs a value") }
                values[name, default: []].append(argv[i])
                i += 1
            } else {
                if let inline {
                    guard Self.flagsWithOptionalValue.contains(name) else {
                        throw DDError.usage("ddtrain \(command): option --\(name) takes no value")
                    }
                    values[name, default: []].append(inline)
                }
                flags.insert(name)
            }
        }
    }

    /// The last value given for `name`, or nil.
    func value(_ name: String) -> String? { values[name]?.last }

    /// Every value given for a repeatable option.
    func all(_ name: String) -> [String] { values[name] ?? [] }

    /// Whether a value-less flag was given.
    func flag(_ name: String) -> Bool { flags.contains(name) }

    /// A required option's value.
    func required(_ name: String, command: String) throws -> String {
        guard let v = value(name) else { throw DDError.usage("ddtrain \(command): --\(name) is required (see 'ddtrain \(command) --help')") }
        return v
    }

    /// An integer option, or `default` when absent.
    func int(_ name: String, default def: Int, command: String) throws -> Int {
        guard let v = value(name) else { return def }
        guard let x = Int(v) else { throw DDError.usage("ddtrain \(command): --\(name) expects an integer, got '\(v)'") }
        return x
    }

    /// A list of integers given as `1,2,3`, or `default` when absent.
    func intList(_ name: String, default def: [Int], command: String) throws -> [Int] {
        guard let v = value(name) else { return def }
        return try v.split(separator: ",").map {
            guard let x = Int($0) else { throw DDError.usage("ddtrain \(command): --\(name) expects integers like 64,256, got '\(v)'") }
            return x
        }
    }
}
