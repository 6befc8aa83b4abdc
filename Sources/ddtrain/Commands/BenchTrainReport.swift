import Support

/// The figures of `ddtrain bench train`: one row per layout with its ratios to the first, and the targets' comparisons.
struct BenchTrainReport {
    /// The layouts' benchmark records with `speedup_over_first`, `core_time_speedup_over_first` and `resident_mib` added.
    let rows: [JSON]

    /// Adds the ratios to the first run (its `tokens_per_s` and `tokens_per_core_s`) to each run.
    init(runs: [JSON]) {
        let base = max(runs.first?["tokens_per_s"]?.doubleValue ?? 1, 1e-9)
        let baseCore = max(runs.first?["tokens_per_core_s"]?.doubleValue ?? 1, 1e-9)
        rows = runs.map { r in
            r.setting("speedup_over_first", to: .number(Self.value(r, "tokens_per_s") / base))
                .setting("core_time_speedup_over_first", to: .number(Self.value(r, "tokens_per_core_s") / baseCore))
                .setting("resident_mib", to: .number(Self.value(r, "resident_bytes") / 1_048_576))
        }
    }

    private static func value(_ row: JSON, _ key: String) -> Double { row[key]?.doubleValue ?? 0 }

    private func row(ranks: Int, threads: Int) -> JSON? {
        rows.first { $0["ranks"]?.intValue == ranks && $0["threads_per_rank"]?.intValue == threads }
    }

    /// The first layout of T > 1 threads on one rank for which T ranks of one thread ran too: (1xT, Tx1).
    private var threadsAndRanks: (threads: JSON, ranks: JSON)? {
        for r in rows {
            guard r["ranks"]?.intValue == 1, let t = r["threads_per_rank"]?.intValue, t > 1, let other = row(ranks: t, threads: 1) else { continue }
            return (r, other)
        }
        return nil
    }

    /// The first multi-rank layout of 2 ranks (its exposed communication is the target's subject).
    private var twoRanks: JSON? { row(ranks: 2, threads: 1) ?? rows.first { $0["ranks"]?.intValue == 2 } }

    /// 1xT over Tx1: tokens/s ratio, resident memory ratio, and whether the target (≥ 0.9, < 1) is met.
    private var threadComparison: (layouts: String, tokens: Double, resident: Double, met: Bool)? {
        guard let pair = threadsAndRanks else { return nil }
        let (t, r) = pair
        let tokens = Self.value(t, "tokens_per_s") / max(Self.value(r, "tokens_per_s"), 1e-9)
        let resident = Self.value(t, "resident_bytes") / max(Self.value(r, "resident_bytes"), 1)
        let names = "\(t["layout"]?.stringValue ?? "?") vs \(r["layout"]?.stringValue ?? "?")"
        return (names, tokens, resident, tokens >= 0.9 && resident < 1)
    }

    /// Top-level keys: the layouts, the last layout's speed-ups, the 2-rank exposed share, the 1xT-vs-Tx1 ratios and
    /// which targets were met (keys of comparisons the layouts do not allow are left out).
    var summary: [(String, JSON)] {
        var s: [(String, JSON)] = [
            ("layouts", .array(rows.map { $0["layout"] ?? .null })),
            ("speedup", .number(rows.last.map { Self.value($0, "speedup_over_first") } ?? 1)),
            ("core_time_speedup", .number(rows.last.map { Self.value($0, "core_time_speedup_over_first") } ?? 1)),
        ]
        if let two = twoRanks {
            let share = Self.value(two, "exposed_comm_share")
            s += [("exposed_comm_layout", two["layout"] ?? .null), ("exposed_comm_share", .number(share)),
                  ("target_exposed_comm_met", .bool(share <= 0.03))]
        }
        if let c = threadComparison {
            s += [("threads_vs_ranks", .string(c.layouts)), ("threads_over_ranks_tokens_per_s", .number(c.tokens)),
                  ("threads_over_ranks_resident", .number(c.resident)), ("target_threads_met", .bool(c.met))]
        }
        return s
    }

    /// The human table, the targets and what was measured against them.
    func printTable() {
        print("layout".padded(8) + "tokens/s".leftPadded(10) + "speed-up".leftPadded(10) + "resident".leftPadded(12)
              + "exposed comm".leftPadded(14) + "imbalance".leftPadded(11) + "comm time".leftPadded(11)
              + "tok/core-s".leftPadded(12) + "core-s speed-up".leftPadded(17))
        for r in rows {
            let v = { (key: String) in Self.value(r, key) }
            print((r["layout"]?.stringValue ?? "?").padded(8) + fixed(v("tokens_per_s"), 0).leftPadded(10)
                  + (fixed(v("speedup_over_first"), 2) + "x").leftPadded(10) + (fixed(v("resident_mib"), 1) + " MiB").leftPadded(12)
                  + (fixed(100 * v("exposed_comm_share"), 1) + "%").leftPadded(14)
                  + (fixed(100 * v("imbalance_wait_share"), 1) + "%").leftPadded(11)
                  + (fixed(100 * v("comm_s") / max(v("seconds"), 1e-9), 1) + "%").leftPadded(11)
                  + fixed(v("tokens_per_core_s"), 0).leftPadded(12) + (fixed(v("core_time_speedup_over_first"), 2) + "x").leftPadded(17)
                  + (r["bound"]?.boolValue == false ? "  (oversubscribed, unbound)" : ""))
        }
        print("targets: 1x2 within 10% of 2x1 in tokens/s with less resident memory; exposed communication <= 3% with 2 ranks")
        var measured: [String] = []
        if let c = threadComparison {
            measured.append("\(c.layouts): \(fixed(c.tokens, 2))x the tokens/s with \(fixed(c.resident, 2))x the resident memory"
                            + (c.met ? " (met)" : " (not met)"))
        }
        if let two = twoRanks {
            let share = Self.value(two, "exposed_comm_share")
            measured.append("exposed communication \(fixed(100 * share, 1))% with \(two["layout"]?.stringValue ?? "2 ranks")"
                            + (share <= 0.03 ? " (met)" : " (not met)"))
        }
        if !measured.isEmpty { print("measured: " + measured.joined(separator: "; ")) }
        print("(resident: peak resident memory (VmHWM) summed over ranks; exposed comm: the wait after backward of the rank")
        print(" that waits least, i.e. communication no compute hid; imbalance: what the ranks wait beyond that on average,")
        print(" for slower ranks; tok/core-s: tokens per core-second of the busiest rank, its CPU time over its threads,")
        print(" robust when other work shares the cores)")
    }
}
