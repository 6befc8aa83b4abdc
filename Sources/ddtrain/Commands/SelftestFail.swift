import Comm
import Support
#if canImport(Glibc)
import Glibc
#endif

/// `ddtrain selftest fail`: one rank raises an error while the others wait in a collective; the job must end
/// promptly with that rank's message and a non-zero exit code.
let selftestFailPart = Subcommand(
    name: "fail", summary: "raise an error on one rank while the others wait in a collective",
    help: """
    usage: ddtrain selftest fail [--rank R] [--delay-ms MS]

    Rank R (default the last) sleeps MS milliseconds (default 200) and then fails with
    "injected failure on rank R"; the other ranks are blocked in an allreduce meanwhile.
    """,
    options: ["rank": true, "delay-ms": true]
) { args in
    let comm = try World.communicator()
    let victim = try args.int("rank", default: comm.size - 1, command: "selftest fail")
    let delay = try args.int("delay-ms", default: 200, command: "selftest fail")
    guard (0..<comm.size).contains(victim) else {
        throw DDError.usage("ddtrain selftest fail: --rank \(victim) is outside 0..<\(comm.size)")
    }
    if comm.rank == victim {
        usleep(UInt32(delay) * 1000)
        throw DDError("injected failure on rank \(victim)")
    }
    var x: [Double] = [1]
    try comm.allreduce(&x, op: .sum)
    return 0
}
