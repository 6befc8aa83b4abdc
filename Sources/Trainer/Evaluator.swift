import Comm
import Corpus
import Support
import Transformer

/// Held-out evaluation: loss per layout (bucket length or baseline) and, within each, loss by position range,
/// so a run shows whether the model uses long context.
///
/// Each rank evaluates the validation sequences of the shards it owns (shard % size), at most
/// `maxSequencesPerBucket` per layout in total (the first indices of every shard, spread evenly), packs them
/// into batches no larger than the model's arena, and the sums travel in one Double allreduce.
public struct Evaluator {
    public let config: EvalConfig
    public let store: DatasetStore
    /// Layouts evaluated (indices into the manifest's layouts).
    public let layouts: [Int]

    public init(config: EvalConfig, store: DatasetStore, layouts: [Int]) {
        self.config = config
        self.store = store
        self.layouts = layouts
    }

    /// Position-bin upper bounds: positionBinMin, 2×, 4×, … up to the longest trained length.
    public var positionBins: [Int] {
        let longest = layouts.map { store.manifest.layouts[$0].trainedLength }.max() ?? 1
        var bins: [Int] = [], b = config.positionBinMin
        while b < longest { bins.append(b); b *= 2 }
        bins.append(max(b, longest))
        return bins
    }

    /// The sequences of `layout` this rank evaluates: (shard, index) pairs.
    func assignedSequences(layout: Int, rank: Int, size: Int) -> [(Int, Int)] {
        let shards = store.manifest.shardCount
        let counts = (0..<shards).map { store.count(layout: layout, shard: $0, split: .valid) }
        var quota = [Int](repeating: 0, count: shards)
        var left = min(config.maxSequencesPerBucket, counts.reduce(0, +))
        // Round-robin over shards so every shard contributes when the cap is below the total.
        while left > 0 {
            for s in 0..<shards where left > 0 && quota[s] < counts[s] { quota[s] += 1; left -= 1 }
        }
        return (0..<shards).filter { $0 % size == rank }.flatMap { s in (0..<quota[s]).map { (s, $0) } }
    }

    /// Evaluates and returns one JSON record (identical on every rank).
    public func run(model: Model, comm: Communicator, documentMasking: Bool) throws -> JSON {
        let bins = positionBins
        // sums[layout][0] = loss sum, [1] = count, then per bin (loss sum, count).
        let width = 2 + 2 * bins.count
        var sums = [Double](repeating: 0, count: layouts.count * width)
        for (li, layout) in layouts.enumerated() {
            let info = store.manifest.layouts[layout]
            var pending: [StoredSequence] = []
            var pendingTokens = 0
            func flush() throws {
                guard !pending.isEmpty else { return }
                let batch = BatchBuilder.build(pending, documentMasking: documentMasking)
                let losses = try model.tokenLosses(batch)
                for (t, loss) in losses.enumerated() where batch.targets[t] >= 0 {
                    sums[li * width] += Double(loss)
                    sums[li * width + 1] += 1
                    let p = Int(batch.positions[t])
                    let b = bins.firstIndex(where: { p < $0 }) ?? bins.count - 1
                    sums[li * width + 2 + 2 * b] += Double(loss)
                    sums[li * width + 3 + 2 * b] += 1
                }
                pending.removeAll(keepingCapacity: true)
                pendingTokens = 0
            }
            for (shard, index) in assignedSequences(layout: layout, rank: comm.rank, size: comm.size) {
                let s = try store.sequence(layout: layout, shard: shard, split: .valid, index: index)
                let trained = s.tokens.count == info.tokensPerSequence && info.tokensPerSequence == info.trainedLength
                    ? info.trainedLength : s.tokens.count - 1
                if pendingTokens + trained > model.maxTokens { try flush() }
                pending.append(StoredSequence(tokens: s.tokens, documentStarts: s.documentStarts, trainedLength: trained))
                pendingTokens += trained
            }
            try flush()
        }
        try comm.allreduce(&sums, op: .sum)
        var perLayout: [(String, JSON)] = []
        var total = 0.0, count = 0.0
        for (li, layout) in layouts.enumerated() {
            let base = li * width
            guard sums[base + 1] > 0 else { continue }
            total += sums[base]; count += sums[base + 1]
            var byPosition: [(String, JSON)] = []
            for (b, upper) in bins.enumerated() where sums[base + 3 + 2 * b] > 0 {
                let lower = b == 0 ? 0 : bins[b - 1]
                byPosition.append(("\(lower)-\(upper)", .number(sums[base + 2 + 2 * b] / sums[base + 3 + 2 * b])))
            }
            perLayout.append((store.manifest.layouts[layout].name, .obj([
                "loss": .number(sums[base] / sums[base + 1]), "tokens": .int(Int(sums[base + 1])),
                "length": .int(store.manifest.layouts[layout].trainedLength), "loss_by_position": .object(byPosition),
            ])))
        }
        return .obj(["loss": .number(count > 0 ? total / count : .nan), "tokens": .int(Int(count)), "layouts": .object(perLayout)])
    }
}
