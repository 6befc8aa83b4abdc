import COpenBLAS
import Comm
import Kernels
import Support
import Trainer
#if canImport(Glibc)
import Glibc
#endif

/// `ddtrain env`: the facts a bug report or a benchmark needs about this process and machine.
let envCommand = Command(
    name: "env", summary: "print MPI version, world size, OpenBLAS configuration, CPU and build flags",
    help: """
    usage: ddtrain env [--json]

    Prints the MPI library version, the world size and this rank, the OpenBLAS build (openblas_get_config,
    core, threads), the CPU model and the features the kernels use (CPUID), the kernel level in force
    (DDTRAIN_KERNELS may lower it: avx2, avx512, avx512-bf16, amx) and the kernel of each role, and the flags
    the numeric code was built with. Then one line per rank: its host, the cores it may run on (its CPU
    affinity: the cores mpirun bound it to), train.threads as the launch layout sets it (DDTRAIN_THREADS, from
    launch/run --threads) and its OpenBLAS threads.
    Run it under mpirun (launch/run -n RANKS --threads T) to see the job's world size and layout.
      --json   print one JSON object on stdout (the ranks as an array "ranks" of rank, host, cores, ...)
    """,
    options: ["json": false]
) { args in
    let comm = try World.communicator()
    let facts = EnvironmentFacts.collect(comm: comm)
    let ranks = try RankPlacement.gather(comm: comm)
    if args.flag("json") {
        if comm.rank == 0 { print(facts.json.setting("ranks", to: .array(ranks.map(\.json))).compact) }
    } else if comm.rank == 0 {
        for (k, v) in facts.pairs { print(k.padded(22) + v) }
        for r in ranks { print(r.line) }
    }
    return 0
}

/// What `ddtrain env` reports.
struct EnvironmentFacts {
    var pairs: [(String, String)] = []
    var json: JSON = .object([])

    static func collect(comm: Communicator) -> EnvironmentFacts {
        let threads = Int(openblas_get_num_threads())
        let cpu = CPUFeatures.current
        var f = EnvironmentFacts()
        f.pairs = [
            ("mpi_library", MPICommunicator.libraryVersion()),
            ("backend", comm.backendName),
            ("world_size", String(comm.size)),
            ("rank", String(comm.rank)),
            ("openblas_config", String(cString: openblas_get_config())),
            ("openblas_core", String(cString: openblas_get_corename())),
            ("openblas_threads", String(threads)),
            ("cpu_model", cpu.model),
            ("cpu_features", cpu.names.joined(separator: " ")),
            ("kernel_level", KernelDispatch.level.name + (getenv("DDTRAIN_KERNELS") != nil ? " (DDTRAIN_KERNELS)" : "")),
        ] + KernelDispatch.roles.map { ("kernel_" + $0.role, $0.kernel) } + [
            ("online_cores", String(sysconf(Int32(_SC_NPROCESSORS_ONLN)))),
            ("build_configuration", BuildInfo.configuration),
            ("numeric_build_flags", BuildInfo.numericFlags),
        ]
        // JSON: the same facts, with the CPU and kernels in the shape every bench JSON uses.
        let shared = Set(KernelDispatch.reportFields.map(\.0))
        f.json = .object(f.pairs.filter { !shared.contains($0.0) && !$0.0.hasPrefix("kernel_") && $0.0 != "cpu_features" }.map { k, v in
            (k, Int(v).map { JSON.int($0) } ?? .string(v))
        } + KernelDispatch.reportFields)
        return f
    }
}
