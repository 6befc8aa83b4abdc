/// "Did you mean": the valid key closest to a misspelt one.
public enum KeySuggestion {
    /// The candidate within a small edit distance of `key` (at most 2, or a third of its length), else one spelled
    /// by the initials of `key`'s words (`learning_rate` → `lr`), else one that contains `key` or is contained in it.
    public static func closest(to key: String, among candidates: [String]) -> String? {
        let limit = max(2, key.count / 3)
        let scored = candidates.map { ($0, editDistance(key, $0)) }.filter { $0.1 <= limit }
        if let best = scored.min(by: { $0.1 < $1.1 }) { return best.0 }
        let initials = String(key.split(separator: "_").compactMap(\.first))
        if initials.count > 1, let hit = candidates.first(where: { $0 == initials }) { return hit }
        return candidates.first { $0.count > 2 && key.count > 2 && ($0.contains(key) || key.contains($0)) }
    }

    /// Levenshtein distance over characters.
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        guard !x.isEmpty else { return y.count }
        guard !y.isEmpty else { return x.count }
        var previous = Array(0...y.count)
        for i in 1...x.count {
            var current = [i] + Array(repeating: 0, count: y.count)
            for j in 1...y.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[y.count]
    }
}
