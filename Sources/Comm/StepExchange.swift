import Support

/// One stored sequence as it travels between ranks: its tokens and the offsets inside them where its documents
/// start, so the rank that computes it needs nothing of the owner's files.
public struct SequencePayload: Equatable, Sendable {
    /// The stored tokens (as the owner's store returned them).
    public var tokens: [Int32]
    /// Offsets in `tokens` where documents start ([0] for a single-document sequence).
    public var documentStarts: [Int]

    /// A payload of `tokens` whose documents start at `documentStarts`.
    public init(tokens: [Int32], documentStarts: [Int] = [0]) {
        self.tokens = tokens
        self.documentStarts = documentStarts
    }
}

/// Ships a step's sequences from the ranks that own them to the ranks assigned to compute them.
///
/// Every rank knows every item's owner and destination (the plan and partition are computed alike on every rank),
/// so it knows what it sends and what it will receive; one typed alltoallv (after a one-count-per-pair exchange of
/// sizes, since stored sequences may differ in length) moves everything. When no item leaves its owner (the common
/// case of a bucket step on balanced shards), every rank sees that and skips both collectives, so all ranks still
/// issue the same collectives. Messages carry, per item in order, its token count, its tokens, its number of
/// document starts and the starts; a rank therefore reads only the items it owns.
public enum StepExchange {
    /// Moves item i from rank `owners[i]` to rank `destinations[i]`; `read(i)` is called on the owner only.
    /// Returns the items whose destination is this rank, in item order, with their payloads. `context` names the
    /// exchange in errors (e.g. "step 12 exchange").
    public static func exchange(owners: [Int], destinations: [Int], comm: Communicator, context: String = "exchange",
                                read: (Int) throws -> SequencePayload) throws -> [(index: Int, payload: SequencePayload)] {
        let size = comm.size, me = comm.rank
        guard owners.count == destinations.count else {
            throw DDError("\(context): \(destinations.count) destinations for \(owners.count) items (fix: pass one destination per item)")
        }
        if let bad = (owners + destinations).first(where: { $0 < 0 || $0 >= size }) {
            throw DDError("\(context): rank \(bad) outside 0..<\(size) (fix: partition for the job's world size)")
        }
        var mine: [SequencePayload?] = Array(repeating: nil, count: owners.count)
        var outgoing = [[Int32]](repeating: [], count: size)
        var anyMoves = false
        for i in owners.indices {
            let owner = owners[i], dest = destinations[i]
            if owner != dest { anyMoves = true }
            guard owner == me else { continue }
            let payload = try read(i)
            if dest == me {
                mine[i] = payload
            } else {
                outgoing[dest].append(Int32(truncatingIfNeeded: payload.tokens.count))
                outgoing[dest] += payload.tokens
                outgoing[dest].append(Int32(truncatingIfNeeded: payload.documentStarts.count))
                outgoing[dest] += payload.documentStarts.map { Int32(truncatingIfNeeded: $0) }
            }
        }
        if anyMoves {
            let received = try comm.alltoallv(outgoing)
            var cursor = [Int](repeating: 0, count: size)
            /// The next length-prefixed run of `buf` from `src`, or nil when the message is too short.
            func take(_ src: Int) -> ArraySlice<Int32>? {
                let buf = received[src], at = cursor[src]
                guard at < buf.count, case let n = Int(buf[at]), n >= 0, at + 1 + n <= buf.count else { return nil }
                cursor[src] = at + 1 + n
                return buf[(at + 1)..<(at + 1 + n)]
            }
            for i in owners.indices where destinations[i] == me && owners[i] != me {
                let src = owners[i]
                guard let tokens = take(src), let starts = take(src) else {
                    throw DDError("\(context): rank \(me) got a short message from rank \(src) for item \(i) (fix: every rank must run the same plan and partition)")
                }
                mine[i] = SequencePayload(tokens: Array(tokens), documentStarts: starts.map { Int($0) })
            }
            if let src = (0..<size).first(where: { cursor[$0] != received[$0].count }) {
                throw DDError("\(context): rank \(me) got \(received[src].count - cursor[src]) unexpected values from rank \(src) (fix: every rank must run the same plan and partition)")
            }
        }
        return owners.indices.compactMap { i in mine[i].map { (i, $0) } }
    }
}
