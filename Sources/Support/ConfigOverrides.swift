/// Applies command-line overrides `key.path=value` to a JSON config.
///
/// The value is parsed as JSON when it is valid JSON (numbers, booleans, arrays, quoted strings) and taken as a
/// plain string otherwise, so `--set curriculum.name=grow_p2` and `--set model.dim=768` both work.
public enum ConfigOverrides {
    public static func apply(_ assignment: String, to config: JSON) throws -> JSON {
        guard let eq = assignment.firstIndex(of: "=") else {
            throw DDError.usage("--set \(assignment): expected key.path=value (e.g. --set model.dim=768)")
        }
        let path = String(assignment[..<eq]).split(separator: ".").map(String.init)
        let text = String(assignment[assignment.index(after: eq)...])
        guard !path.isEmpty, path.allSatisfy({ !$0.isEmpty }) else {
            throw DDError.usage("--set \(assignment): the key path is empty (write e.g. --set model.dim=768)")
        }
        let value = (try? JSONParser.parse(text)) ?? .string(text)
        return try set(path[...], value, in: config, full: path.joined(separator: "."))
    }

    /// Applies every assignment in order.
    public static func apply(_ assignments: [String], to config: JSON) throws -> JSON {
        try assignments.reduce(config) { try apply($1, to: $0) }
    }

    private static func set(_ path: ArraySlice<String>, _ value: JSON, in node: JSON, full: String) throws -> JSON {
        guard let head = path.first else { return value }
        if node != .null, node.objectValue == nil {
            throw DDError.usage("--set \(full): '\(head)' is inside a \(node.kindName), not an object")
        }
        let child = node[head] ?? .null
        return (node == .null ? JSON.object([]) : node).setting(head, to: try set(path.dropFirst(), value, in: child, full: full))
    }
}
