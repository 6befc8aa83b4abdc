import Support

/// Token embedding lookup: out[t] = table[ids[t]] (gather) and its gradient (scatter-add into the table).
///
/// Shapes: ids [T] Int32, table and dtable [V, C], out and dout [T, C].
public enum Embedding {
    /// Gathers one table row per token; throws when an id is outside [0, vocab).
    public static func forward(ids: UnsafePointer<Int32>, table: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                               tokens: Int, vocab: Int, width: Int, pool: WorkerPool = .serial) throws {
        try validate(ids, tokens, vocab)
        pool.ranges(count: tokens) { rows in
            for t in rows { (out + t * width).update(from: table + Int(ids[t]) * width, count: width) }
        }
    }

    /// dtable[ids[t]] += dout[t] for every token (repeated ids accumulate).
    public static func backward(ids: UnsafePointer<Int32>, dout: UnsafePointer<Float>, dtable: UnsafeMutablePointer<Float>,
                                tokens: Int, vocab: Int, width: Int, pool: WorkerPool = .serial) throws {
        try validate(ids, tokens, vocab)
        // Split over columns: each worker adds its columns of every token in token order, so a row hit by several
        // tokens is summed in the same order whatever the thread count.
        pool.ranges(count: width, align: 16) { columns in
            for t in 0..<tokens {
                Vector.add(dout + t * width + columns.lowerBound, into: dtable + Int(ids[t]) * width + columns.lowerBound,
                           count: columns.count)
            }
        }
    }

    /// Token ids come from data files, so a bad one is reported rather than trapped on.
    static func validate(_ ids: UnsafePointer<Int32>, _ tokens: Int, _ vocab: Int) throws {
        for t in 0..<tokens where ids[t] < 0 || Int(ids[t]) >= vocab {
            throw DDError("embedding: token id \(ids[t]) at position \(t) is outside [0, \(vocab)) "
                + "(fix: the data was tokenized with a larger vocabulary than model.vocab; re-prepare it or raise vocab)")
        }
    }
}
