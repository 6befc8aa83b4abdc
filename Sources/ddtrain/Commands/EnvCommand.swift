import COpenBLAS
import Comm
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
    core, threads), the CPU model and vector extensions, and the flags the numeric code was built with.
    Run it under mpirun to see the job's world size.
      --json   print one JSON object on stdout
    """,
    options: ["json": false]
) { args in
    let comm = try World.communicator()
    let facts = EnvironmentFacts.collect(comm: comm)
    if args.flag("json") {
        if comm.rank == 0 { print(facts.json.compact) }
    } else if comm.rank == 0 {
        for (k, v) in facts.pairs { print(k.padded(22) + v) }
    }
    return 0
}

/// What `ddtrain env` reports.
struct EnvironmentFacts {
    var pairs: [(String, String)] = []
    var json: JSON = .object([])

    static func collect(comm: Communicator) -> EnvironmentFacts {
        let cpu = cpuInfo()
        let threads = Int(openblas_get_num_threads())
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
            ("cpu_vector_extensions", cpu.extensions.joined(separator: " ")),
            ("online_cores", String(sysconf(Int32(_SC_NPROCESSORS_ONLN)))),
            ("build_configuration", BuildInfo.configuration),
            ("numeric_build_flags", BuildInfo.numericFlags),
        ]
        f.json = .object(f.pairs.map { k, v in
            (k, Int(v).map { JSON.int($0) } ?? .string(v))
        })
        return f
    }

    /// The CPU model name and the vector extensions that matter to the kernels.
    static func cpuInfo() -> (model: String, extensions: [String]) {
        let text = (try? FileIO.readText("/proc/cpuinfo")) ?? ""
        var model = "unknown", flags: Set<Substring> = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("model name"), let c = line.firstIndex(of: ":") {
                model = String(line[line.index(after: c)...].drop(while: { $0 == " " }))
            }
            if line.hasPrefix("flags"), let c = line.firstIndex(of: ":"), flags.isEmpty {
                flags = Set(line[line.index(after: c)...].split(separator: " "))
            }
        }
        let wanted = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512_bf16", "amx_tile"]
        return (model, wanted.filter { flags.contains(Substring($0)) })
    }
}
