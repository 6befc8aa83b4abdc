/// Typed conveniences over the raw collectives, so callers rarely touch raw pointers.
extension Communicator {
    /// Reduces `values` across ranks in place.
    public func allreduce<T: CommScalar>(_ values: inout [T], op: ReduceOp) throws {
        let n = values.count
        try values.withUnsafeMutableBytes { try allreduce($0.baseAddress!, count: n, element: T.commElement, op: op) }
    }

    /// Reduces a buffer across ranks in place.
    public func allreduce<T: CommScalar>(_ values: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws {
        guard let base = values.baseAddress else { return }
        try allreduce(UnsafeMutableRawPointer(base), count: values.count, element: T.commElement, op: op)
    }

    /// Reduces one scalar across ranks.
    public func allreduce<T: CommScalar>(_ value: T, op: ReduceOp) throws -> T {
        var v = [value]
        try allreduce(&v, op: op)
        return v[0]
    }

    /// Every rank's `values` (all the same count), concatenated in rank order.
    public func allgather<T: CommScalar>(_ values: [T]) throws -> [T] {
        var out = [T](repeating: values.first ?? (0 as! T), count: values.count * size)
        if values.isEmpty { return [] }
        try values.withUnsafeBytes { inp in
            try out.withUnsafeMutableBytes { try allgather(inp.baseAddress!, byteCount: inp.count, output: $0.baseAddress!) }
        }
        return out
    }

    /// Every rank's `values` (counts may differ), as one array per rank.
    public func allgatherv<T: CommScalar>(_ values: [T]) throws -> [[T]] {
        let counts = try allgather([Int64(values.count)]).map(Int.init)
        let stride = MemoryLayout<T>.stride
        var displ = [Int](repeating: 0, count: size)
        for r in 1..<max(size, 1) where r < size { displ[r] = displ[r - 1] + counts[r - 1] }
        let total = counts.reduce(0, +)
        var flat = [UInt8](repeating: 0, count: total * stride)
        try values.withUnsafeBytes { inp in
            try flat.withUnsafeMutableBytes { out in
                try allgatherv(inp.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, byteCount: inp.count,
                               output: out.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 8)!,
                               counts: counts.map { $0 * stride }, displacements: displ.map { $0 * stride })
            }
        }
        return (0..<size).map { r in
            flat.withUnsafeBytes { raw in
                Array(UnsafeBufferPointer(start: raw.baseAddress.map { ($0 + displ[r] * stride).assumingMemoryBound(to: T.self) },
                                          count: counts[r]))
            }
        }
    }

    /// Sends `outgoing[r]` to rank r and returns what every rank sent here, indexed by source rank.
    /// Receive counts are exchanged first (one small alltoall), then one alltoallv moves the data.
    public func alltoallv<T: CommScalar>(_ outgoing: [[T]]) throws -> [[T]] {
        precondition(outgoing.count == size, "alltoallv needs one outgoing array per rank")
        let stride = MemoryLayout<T>.stride
        let sendCounts = outgoing.map { $0.count * stride }
        let receiveCounts = try exchangeCounts(sendCounts)
        var sendDispl = [Int](repeating: 0, count: size), recvDispl = [Int](repeating: 0, count: size)
        for r in 1..<max(size, 1) where r < size {
            sendDispl[r] = sendDispl[r - 1] + sendCounts[r - 1]
            recvDispl[r] = recvDispl[r - 1] + receiveCounts[r - 1]
        }
        let send: [UInt8] = outgoing.flatMap { a in a.withUnsafeBytes { Array($0) } }
        var recv = [UInt8](repeating: 0, count: receiveCounts.reduce(0, +))
        try send.withUnsafeBytes { s in
            try recv.withUnsafeMutableBytes { r in
                try alltoallv(send: s.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, sendCounts: sendCounts, sendDisplacements: sendDispl,
                              receive: r.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 8)!, receiveCounts: receiveCounts,
                              receiveDisplacements: recvDispl)
            }
        }
        return (0..<size).map { r in
            recv.withUnsafeBytes { raw in
                let n = receiveCounts[r] / stride
                guard n > 0 else { return [] }
                return Array(UnsafeBufferPointer(start: (raw.baseAddress! + recvDispl[r]).assumingMemoryBound(to: T.self), count: n))
            }
        }
    }

    /// Given how many bytes this rank sends to each rank, returns how many it receives from each.
    public func exchangeCounts(_ sendCounts: [Int]) throws -> [Int] {
        // An alltoall of one Int64 per pair, done with the byte alltoallv at fixed 8-byte counts.
        let send = sendCounts.map(Int64.init)
        var recv = [Int64](repeating: 0, count: size)
        let counts = [Int](repeating: 8, count: size)
        let displ = (0..<size).map { $0 * 8 }
        try send.withUnsafeBytes { s in
            try recv.withUnsafeMutableBytes { r in
                try alltoallv(send: s.baseAddress!, sendCounts: counts, sendDisplacements: displ,
                              receive: r.baseAddress!, receiveCounts: counts, receiveDisplacements: displ)
            }
        }
        return recv.map(Int.init)
    }
}
