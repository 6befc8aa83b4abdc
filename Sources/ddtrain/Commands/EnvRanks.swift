import COpenBLAS
import Comm
import Kernels
import Support
import Trainer
#if canImport(Glibc)
import Glibc
#endif

/// Where one rank of the job runs, for `ddtrain env`: its host, the cores it may run on (its CPU affinity, as
/// mpirun bound it) and its threads (train.threads as the launch layout sets it, OpenBLAS's).
struct RankPlacement: Equatable {
    var rank: Int
    var host: String
    var cores: [Int]
    var openblasThreads: Int
    /// DDTRAIN_THREADS (launch/run --threads, SLURM's --cpus-per-task); nil when unset: the config decides.
    var trainThreads: Int?

    /// This process's placement.
    static func current(rank: Int) -> RankPlacement {
        var name = [CChar](repeating: 0, count: 256)
        let host = gethostname(&name, name.count - 1) == 0 ? String(cString: name) : "?"
        return RankPlacement(rank: rank, host: host, cores: WorkerPool.allowedCPUs(), openblasThreads: Int(openblas_get_num_threads()),
                             trainThreads: LayoutThreads.environmentValue.flatMap { Int($0) })
    }

    /// Every rank's placement, in rank order, on every rank (as JSON text through allgatherv).
    static func gather(comm: Communicator) throws -> [RankPlacement] {
        let texts = try comm.allgatherv(Array(current(rank: comm.rank).json.compact.utf8))
        return try texts.map { try RankPlacement(json: try JSONParser.parse($0, source: "rank placement")) }
    }

    var json: JSON {
        .obj(["rank": .int(rank), "host": .string(host), "cores": .ints(cores), "openblas_threads": .int(openblasThreads),
              "train_threads": trainThreads.map { .int($0) } ?? .null])
    }

    init(rank: Int, host: String, cores: [Int], openblasThreads: Int, trainThreads: Int?) {
        (self.rank, self.host, self.cores, self.openblasThreads, self.trainThreads) = (rank, host, cores, openblasThreads, trainThreads)
    }

    init(json: JSON) throws {
        guard let rank = json["rank"]?.intValue, let host = json["host"]?.stringValue,
              let cores = json["cores"]?.arrayValue?.compactMap(\.intValue), let blas = json["openblas_threads"]?.intValue else {
            throw DDError("ddtrain env: a rank sent an unreadable placement: \(json.compact)")
        }
        self.init(rank: rank, host: host, cores: cores, openblasThreads: blas, trainThreads: json["train_threads"]?.intValue)
    }

    /// One line: `rank 0  host H, cores 0-3, train_threads 4, openblas_threads 4`.
    var line: String {
        "rank \(rank)".padded(22) + "host \(host), cores \(Self.ranges(cores)), train_threads "
            + (trainThreads.map(String.init) ?? "the config's (\(LayoutThreads.variable) unset)") + ", openblas_threads \(openblasThreads)"
    }

    /// Sorted CPU numbers as ranges: [0, 1, 2, 5] → "0-2,5"; "none" when empty.
    static func ranges(_ cpus: [Int]) -> String {
        var parts: [String] = [], i = 0
        while i < cpus.count {
            var j = i
            while j + 1 < cpus.count, cpus[j + 1] == cpus[j] + 1 { j += 1 }
            parts.append(j == i ? "\(cpus[i])" : "\(cpus[i])-\(cpus[j])")
            i = j + 1
        }
        return parts.isEmpty ? "none" : parts.joined(separator: ",")
    }
}
