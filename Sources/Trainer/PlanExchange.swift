import Comm
import Curriculum
import Support

/// One sequence this rank computes at a step: which it is, its stored tokens and where its documents start.
public struct ExchangedSequence: Equatable {
    /// The sequence.
    public var ref: SequenceRef
    /// Its stored tokens (as the owner's store returned them).
    public var tokens: [Int32]
    /// Offsets in `tokens` where its documents start, as the owner's index holds them.
    public var documentStarts: [Int]

    /// A sequence with its tokens and document starts.
    public init(ref: SequenceRef, tokens: [Int32], documentStarts: [Int] = [0]) {
        self.ref = ref
        self.tokens = tokens
        self.documentStarts = documentStarts
    }
}

extension StepExchange {
    /// Returns the sequences `comm.rank` must compute at `plan`'s step, in plan order. `rankOf[i]` is the rank assigned
    /// to `plan.sequences[i]`; `read` gives one of this rank's own sequences (called only for those), so a rank
    /// reads only its own shards' files.
    public static func run(plan: StepPlan, rankOf: [Int], comm: Communicator,
                           read: (SequenceRef) throws -> SequencePayload) throws -> [ExchangedSequence] {
        let seqs = plan.sequences
        guard rankOf.count == seqs.count else {
            throw DDError("step \(plan.step) exchange: \(rankOf.count) assignments for \(seqs.count) sequences (fix: pass the partitioner's rankOf for this plan)")
        }
        if let bad = rankOf.firstIndex(where: { $0 < 0 || $0 >= comm.size }) {
            throw DDError("step \(plan.step) exchange: sequence \(bad) assigned to rank \(rankOf[bad]) outside 0..<\(comm.size) (fix: partition for the job's world size)")
        }
        let got = try exchange(owners: seqs.map { $0.owner(worldSize: comm.size) }, destinations: rankOf, comm: comm,
                               context: "step \(plan.step) exchange") { try read(seqs[$0]) }
        return got.map { ExchangedSequence(ref: seqs[$0.index], tokens: $0.payload.tokens, documentStarts: $0.payload.documentStarts) }
    }
}
