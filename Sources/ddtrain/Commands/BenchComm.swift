import Comm
import Support
#if canImport(Glibc)
import Glibc
#endif

/// `ddtrain bench comm`: allreduce time and bandwidth against a single-process memcpy of the same size.
let benchCommPart = Subcommand(
    name: "comm", summary: "allreduce time, algorithm and bus bandwidth vs memcpy (run under mpirun)",
    help: """
    usage: ddtrain bench comm [--sizes-mb 1,16,128] [--iterations N] [--json]

    Times MPI_Allreduce (sum, Float, in place) for each size and a single-process memcpy of the same size in
    the same run. Bandwidths follow nccl-tests: algorithm bandwidth = bytes / time, bus bandwidth = algorithm
    bandwidth × 2(n−1)/n for n ranks. The figure to read is the ratio allreduce time ÷ memcpy time.
      --sizes-mb LIST   message sizes in MB (default 1,16,128)
      --iterations N    timed repetitions per size after one warm-up (default 10); the median is reported
      --json            one JSON object on stdout
    """,
    options: ["sizes-mb": true, "iterations": true, "json": false]
) { args in
    let comm = try World.communicator()
    let sizes = try args.intList("sizes-mb", default: [1, 16, 128], command: "bench comm")
    let iterations = max(1, try args.int("iterations", default: 10, command: "bench comm"))
    var rows: [JSON] = []
    if comm.rank == 0 && !args.flag("json") {
        print("allreduce over \(comm.size) rank(s), backend \(comm.backendName), median of \(iterations)")
        print("size".padded(10) + "allreduce_ms".leftPadded(14) + "algbw_GB/s".leftPadded(12) + "busbw_GB/s".leftPadded(12)
              + "memcpy_ms".leftPadded(12) + "memcpy_GB/s".leftPadded(13) + "time_ratio".leftPadded(12))
    }
    for mb in sizes {
        let bytes = mb * 1_000_000
        let count = bytes / 4
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let copy = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { buffer.deallocate(); copy.deallocate() }
        for i in 0..<count { buffer[i] = Float(i & 1023) * 1e-3 }
        memcpy(copy, buffer, bytes)
        var reduceTimes: [Double] = [], copyTimes: [Double] = []
        for it in 0...iterations {
            try comm.barrier()
            let t0 = monotonicSeconds()
            try comm.allreduce(UnsafeMutableRawPointer(buffer), count: count, element: .float, op: .sum)
            let t1 = monotonicSeconds()
            memcpy(copy, buffer, bytes)
            let t2 = monotonicSeconds()
            if it > 0 { reduceTimes.append(t1 - t0); copyTimes.append(t2 - t1) }
        }
        // Every rank's median, then the slowest rank's: the collective is as slow as its last participant.
        let reduceMedian = try comm.allreduce(median(reduceTimes), op: .max)
        let copyMedian = try comm.allreduce(median(copyTimes), op: .max)
        let algbw = Double(bytes) / reduceMedian / 1e9
        let n = Double(comm.size)
        let busbw = n > 1 ? algbw * 2 * (n - 1) / n : algbw
        let copybw = Double(bytes) / copyMedian / 1e9
        let ratio = reduceMedian / copyMedian
        rows.append(.obj(["size_bytes": .int(bytes), "allreduce_ms": .number(reduceMedian * 1e3), "algbw_gb_per_s": .number(algbw),
                          "busbw_gb_per_s": .number(busbw), "memcpy_ms": .number(copyMedian * 1e3),
                          "memcpy_gb_per_s": .number(copybw), "allreduce_over_memcpy_time_ratio": .number(ratio)]))
        if comm.rank == 0 && !args.flag("json") {
            print("\(mb) MB".padded(10) + fixed(reduceMedian * 1e3, 3).leftPadded(14) + fixed(algbw, 2).leftPadded(12)
                  + fixed(busbw, 2).leftPadded(12) + fixed(copyMedian * 1e3, 3).leftPadded(12) + fixed(copybw, 2).leftPadded(13)
                  + fixed(ratio, 2).leftPadded(12))
        }
    }
    if comm.rank == 0 && args.flag("json") {
        printBenchJSON(JSON.obj(["bench": .string("comm"), "world_size": .int(comm.size), "backend": .string(comm.backendName),
                        "iterations": .int(iterations), "sizes": .array(rows)]))
    }
    return 0
}

/// The median of a non-empty list.
func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
