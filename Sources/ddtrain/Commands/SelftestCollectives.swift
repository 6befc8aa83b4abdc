import Comm
import Support
#if canImport(Glibc)
import Glibc
#endif

/// `ddtrain selftest collectives`: runs every collective on inputs that are a fixed function of the rank and
/// writes what each rank received to OUT/rank-R.json. The test suite recomputes the expected values itself.
///
/// Inputs (n = --count): allreduce sum over Float a[i] = (r+1)·(i mod 7) + 0.5; max and min over Double
/// b[i] = (31r + 17i) mod 101; reduce-scatter (sum) of Float e[i] = r + i/4 in blocks of ⌈n/size⌉ or ⌊n/size⌋; sum over Int64 c[i] = 1,000,000,007·r + i; broadcast from root size−1 of bytes
/// (13i + root) mod 256; allgather of Int64 [10r, 10r+1, 10r+2]; allgatherv of r Int64 values 100r + j (rank 0
/// sends none); alltoallv of 37·((r + 2d) mod 3) bytes from r to d, valued (16r + 4d + j) mod 256, once through the
/// typed call and once through the raw call with displacements in reverse rank order.
let selftestCollectivesPart = Subcommand(
    name: "collectives", summary: "run every collective on rank-determined inputs and write what each rank got",
    help: """
    usage: ddtrain selftest collectives --out DIR [--count N]

    Each rank writes DIR/rank-R.json with the results of allreduce (sum/max/min over Float, Double, Int64),
    broadcast, allgather, allgatherv and alltoallv (uneven counts including zero). Set DDTRAIN_COMM_CHUNK_BYTES
    to a small value to force the chunked paths. The test suite checks the files against its own arithmetic.
    """,
    options: ["out": true, "count": true]
) { args in
    let comm = try World.communicator()
    let out = try args.required("out", command: "selftest collectives")
    let n = try args.int("count", default: 1000, command: "selftest collectives")
    let r = comm.rank, size = comm.size
    var a = (0..<n).map { Float(r + 1) * Float($0 % 7) + 0.5 }
    try comm.allreduce(&a, op: .sum)
    var bmax = (0..<n).map { Double((31 * r + 17 * $0) % 101) }
    var bmin = bmax
    try comm.allreduce(&bmax, op: .max)
    try comm.allreduce(&bmin, op: .min)
    var c = (0..<n).map { Int64(r) * 1_000_000_007 + Int64($0) }
    try comm.allreduce(&c, op: .sum)
    let blocks = (0..<size).map { n / size + ($0 < n % size ? 1 : 0) }
    var e = (0..<n).map { Float(r) + Float($0) * 0.25 }
    try e.withUnsafeMutableBytes { try comm.reduceScatter($0.baseAddress!, counts: blocks, element: .float) }
    let myStart = blocks[..<r].reduce(0, +)
    let myBlock = Array(e[myStart..<myStart + blocks[r]])
    let root = size - 1
    var bytes = [UInt8](repeating: 0, count: n)
    if r == root { for i in 0..<n { bytes[i] = UInt8((13 * i + root) % 256) } }
    try bytes.withUnsafeMutableBytes { try comm.broadcast($0.baseAddress!, byteCount: n, root: root) }
    let gathered = try comm.allgather((0..<3).map { Int64(10 * r + $0) })
    let gatheredV = try comm.allgatherv((0..<r).map { Int64(100 * r + $0) })
    let outgoing: [[UInt8]] = (0..<size).map { d in (0..<((r + 2 * d) % 3 * 37)).map { j in UInt8((16 * r + 4 * d + j) % 256) } }
    let typed = try comm.alltoallv(outgoing)
    let raw = try rawAlltoallvReversed(comm, outgoing)
    let result = JSON.obj([
        "rank": .int(r), "size": .int(size),
        "allreduce_sum_float": .doubles(a.map(Double.init)), "allreduce_max_double": .doubles(bmax),
        "allreduce_min_double": .doubles(bmin), "allreduce_sum_int64": .ints(c),
        "reduce_scatter_block": .doubles(myBlock.map(Double.init)), "broadcast_bytes": .ints(bytes), "allgather_int64": .ints(gathered),
        "allgatherv_int64": .array(gatheredV.map { .ints($0) }),
        "alltoallv_typed": .array(typed.map { .ints($0) }), "alltoallv_raw": .array(raw.map { .ints($0) }),
    ])
    try FileIO.makeDirectories(out)
    try AtomicFile.write(result.compact, to: "\(out)/rank-\(r).json")
    try comm.barrier()
    return 0
}

/// The raw alltoallv with send and receive blocks laid out in reverse rank order (non-monotone displacements).
private func rawAlltoallvReversed(_ comm: Communicator, _ outgoing: [[UInt8]]) throws -> [[UInt8]] {
    let size = comm.size
    let sendCounts = outgoing.map(\.count)
    let receiveCounts = try comm.exchangeCounts(sendCounts)
    var sendDispl = [Int](repeating: 0, count: size), recvDispl = [Int](repeating: 0, count: size)
    var send: [UInt8] = [], offset = 0
    for d in (0..<size).reversed() { sendDispl[d] = send.count; send += outgoing[d] }
    for s in (0..<size).reversed() { recvDispl[s] = offset; offset += receiveCounts[s] }
    var recv = [UInt8](repeating: 0, count: max(offset, 1))
    send.append(0)
    try send.withUnsafeBytes { sb in
        try recv.withUnsafeMutableBytes { rb in
            try comm.alltoallv(send: sb.baseAddress!, sendCounts: sendCounts, sendDisplacements: sendDispl,
                               receive: rb.baseAddress!, receiveCounts: receiveCounts, receiveDisplacements: recvDispl)
        }
    }
    return (0..<size).map { s in Array(recv[recvDispl[s]..<recvDispl[s] + receiveCounts[s]]) }
}
