import Support

/// The hosts of a hostfile as a supervised job uses them across attempts: which are still in, how many slots
/// they offer, which host a rank runs on, and which hosts are left out after failing twice in a row.
public struct HostPool: Equatable, Sendable {
    /// One hostfile line: the host's name and its slots.
    public struct Host: Equatable, Sendable {
        public let name: String
        public let slots: Int
    }

    /// Every host of the hostfile, in its order.
    public let hosts: [Host]
    /// Hosts left out, in the order they were.
    public private(set) var excluded: [String] = []
    /// Consecutive failed attempts per host.
    private var failuresInARow: [String: Int] = [:]

    /// Parses an Open MPI hostfile (`NAME [slots=N] [max_slots=M]`, `#` comments; a host without slots has 1).
    public init(hostfile text: String, path: String) throws {
        var hosts: [Host] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let words = raw.prefix { $0 != "#" }.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let name = words.first else { continue }
            var slots = 1
            for w in words.dropFirst() where w.hasPrefix("slots=") {
                guard let s = Int(w.dropFirst("slots=".count)), s > 0 else {
                    throw DDError.file(path, "line \(n + 1): '\(w)' is not a positive slot count", fix: "write 'HOST slots=N' with N ≥ 1")
                }
                slots = s
            }
            hosts.append(Host(name: String(name), slots: slots))
        }
        guard !hosts.isEmpty else { throw DDError.file(path, "lists no host", fix: "write one 'HOST slots=N' line per host") }
        self.hosts = hosts
    }

    /// Hosts still in, in hostfile order.
    public var active: [Host] { hosts.filter { !excluded.contains($0.name) } }

    /// Slots of the hosts still in.
    public var slots: Int { active.reduce(0) { $0 + $1.slots } }

    /// The host rank `rank` runs on when the ranks fill the active hosts' slots in order (launch/run maps by core).
    public func host(ofRank rank: Int) -> String? {
        var first = 0
        for h in active {
            if rank < first + h.slots { return h.name }
            first += h.slots
        }
        return nil
    }

    /// Records the hosts an attempt's failure names (the others' runs of failures end); a host that has now failed
    /// twice in a row is left out. Returns the hosts newly left out.
    public mutating func record(failed: Set<String>) -> [String] {
        var newly: [String] = []
        for h in active {
            failuresInARow[h.name] = failed.contains(h.name) ? (failuresInARow[h.name] ?? 0) + 1 : 0
            if failuresInARow[h.name]! >= 2 { newly.append(h.name) }
        }
        excluded += newly
        return newly
    }

    /// The hosts an outcome points at: hosts it names that are in the pool, else the hosts of the ranks it names.
    public func hosts(of outcome: JobOutcome) -> Set<String> {
        let named = Set(outcome.hosts).intersection(active.map(\.name))
        return named.isEmpty ? Set(outcome.ranks.compactMap { host(ofRank: $0) }) : named
    }

    /// A hostfile of the hosts still in.
    public var hostfile: String { active.map { "\($0.name) slots=\($0.slots)\n" }.joined() }
}
