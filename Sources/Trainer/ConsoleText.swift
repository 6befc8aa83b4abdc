import Support

/// The texts the training console prints besides the progress line: what a step trained and what an
/// evaluation found, both read from the records metrics.jsonl holds.
public enum ConsoleText {
    /// "cycle 3/8 bucket-08 len 256" for a step record: its cycle, layout(s) and sequence length(s).
    public static func step(_ record: JSON, cycles: Int) -> String {
        let cycle = (record["cycle"]?.intValue ?? 0) + 1
        let layouts = record["layouts"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let lengths = record["lengths"]?.arrayValue?.compactMap(\.intValue) ?? []
        let len = lengths.count > 1 ? "len \(lengths.first!)–\(lengths.last!)" : lengths.first.map { "len \($0)" } ?? ""
        return (cycles > 1 ? "cycle \(cycle)/\(cycles) " : "") + (layouts.count == 1 ? layouts[0] + " " : "") + len
    }

    /// "eval at step 40: held-out loss 2.8812 (len 64 3.1, 256 2.9, 1024 2.7)": overall and for up to `lengths`
    /// layouts spread from the shortest to the longest.
    public static func evaluation(_ record: JSON, lengths: Int = 4) -> String {
        let rows = (record["layouts"]?.objectValue ?? []).compactMap { name, v -> (Int, String, Double)? in
            guard let l = v["length"]?.intValue, let loss = v["loss"]?.doubleValue else { return nil }
            return (l, name, loss)
        }.sorted { $0.0 < $1.0 }
        let picked = rows.count <= lengths ? rows : (0..<lengths).map { rows[$0 * (rows.count - 1) / (lengths - 1)] }
        let detail = picked.map { "\($0.0) \(fixed($0.2, 3))" }.joined(separator: ", ")
        return "eval at step \(record["step"]?.intValue ?? 0): held-out loss \(fixed(record["loss"]?.doubleValue ?? .nan, 4))"
            + (detail.isEmpty ? "" : " (by length: \(detail))")
    }
}
