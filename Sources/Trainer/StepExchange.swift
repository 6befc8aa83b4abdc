import Comm
import Curriculum
import Support

/// One sequence this rank computes at a step: which it is and its stored tokens.
public struct ExchangedSequence: Equatable {
    /// The sequence.
    public var ref: SequenceRef
    /// Its stored tokens (as the owner's store returned them).
    public var tokens: [Int32]

    /// A sequence with its tokens.
    public init(ref: SequenceRef, tokens: [Int32]) {
        self.ref = ref
        self.tokens = tokens
    }
}

/// Ships the tokens of a step's sequences from their owners to the ranks the partitioner assigned them to.
///
/// Every rank knows the whole plan and assignment, so it knows what it sends and what it will receive; one
/// alltoallv (after a one-integer-per-pair alltoall of byte counts, since stored sequences may differ in
/// length) moves everything. When no sequence leaves its owner (the common case of a bucket step on
/// balanced shards), every rank sees that from the plan and skips both collectives, so all ranks still issue
/// the same collectives. Messages carry, per sequence in plan order, its token count then its tokens.
public enum StepExchange {
    /// Returns the sequences `comm.rank` must compute, in plan order. `rankOf[i]` is the rank assigned to
    /// `plan.sequences[i]`; `tokensOf` reads one of this rank's own sequences (called only for those).
    public static func run(plan: StepPlan, rankOf: [Int], comm: Communicator,
                           tokensOf: (SequenceRef) throws -> [Int32]) throws -> [ExchangedSequence] {
        let size = comm.size, me = comm.rank
        let seqs = plan.sequences
        guard rankOf.count == seqs.count else {
            throw DDError("step \(plan.step) exchange: \(rankOf.count) assignments for \(seqs.count) sequences (fix: pass the partitioner's rankOf for this plan)")
        }
        if let bad = rankOf.firstIndex(where: { $0 < 0 || $0 >= size }) {
            throw DDError("step \(plan.step) exchange: sequence \(bad) assigned to rank \(rankOf[bad]) outside 0..<\(size) (fix: partition for the job's world size)")
        }
        var mine: [ExchangedSequence?] = Array(repeating: nil, count: seqs.count)
        var outgoing = [[Int32]](repeating: [], count: size)
        var anyMoves = false
        for (i, s) in seqs.enumerated() {
            let owner = s.shard % size, dest = rankOf[i]
            if owner != dest { anyMoves = true }
            guard owner == me else { continue }
            let tokens = try tokensOf(s)
            if dest == me {
                mine[i] = ExchangedSequence(ref: s, tokens: tokens)
            } else {
                outgoing[dest].append(Int32(truncatingIfNeeded: tokens.count))
                outgoing[dest] += tokens
            }
        }
        if anyMoves {
            let received = try alltoallv(outgoing, comm: comm)
            var cursor = [Int](repeating: 0, count: size)
            for (i, s) in seqs.enumerated() where rankOf[i] == me && s.shard % size != me {
                let src = s.shard % size
                let buf = received[src]
                guard cursor[src] < buf.count, case let n = Int(buf[cursor[src]]), n >= 0, cursor[src] + 1 + n <= buf.count else {
                    throw DDError("step \(plan.step) exchange: rank \(me) got a short message from rank \(src) for sequence \(s) (fix: every rank must run the same plan and partition)")
                }
                mine[i] = ExchangedSequence(ref: s, tokens: Array(buf[(cursor[src] + 1)..<(cursor[src] + 1 + n)]))
                cursor[src] += 1 + n
            }
            if let src = (0..<size).first(where: { cursor[$0] != received[$0].count }) {
                throw DDError("step \(plan.step) exchange: rank \(me) got \(received[src].count - cursor[src]) unexpected values from rank \(src) (fix: every rank must run the same plan and partition)")
            }
        }
        return mine.compactMap { $0 }
    }

    /// One alltoallv of Int32 messages, with receive sizes learned by a one-count-per-pair exchange.
    private static func alltoallv(_ outgoing: [[Int32]], comm: Communicator) throws -> [[Int32]] {
        let size = comm.size, stride = MemoryLayout<Int32>.stride
        let sendCounts = outgoing.map { $0.count * stride }
        let receiveCounts = try comm.exchangeCounts(sendCounts)
        var sendDispl = [Int](repeating: 0, count: size), recvDispl = [Int](repeating: 0, count: size)
        for r in 1..<max(size, 1) where r < size {
            sendDispl[r] = sendDispl[r - 1] + sendCounts[r - 1]
            recvDispl[r] = recvDispl[r - 1] + receiveCounts[r - 1]
        }
        let send = outgoing.flatMap { $0 }
        var recv = [Int32](repeating: 0, count: receiveCounts.reduce(0, +) / stride)
        try send.withUnsafeBytes { s in
            try recv.withUnsafeMutableBytes { r in
                try comm.alltoallv(send: s.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, sendCounts: sendCounts, sendDisplacements: sendDispl,
                                   receive: r.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 8)!, receiveCounts: receiveCounts,
                                   receiveDisplacements: recvDispl)
            }
        }
        return (0..<size).map { r in Array(recv[(recvDispl[r] / stride)..<((recvDispl[r] + receiveCounts[r]) / stride)]) }
    }
}
