import Support

/// One job shape of `ddtrain bench train`: `ranks` MPI ranks of `threads` worker threads each (written `RxT`).
struct BenchTrainLayout: Equatable {
    let ranks: Int
    let threads: Int

    /// `RxT`, as given on the command line.
    var name: String { "\(ranks)x\(threads)" }

    /// Parses `--layouts 1x1,2x1,1x2`; anything but positive `RxT` pairs is a usage error naming the option.
    static func parseList(_ text: String) throws -> [BenchTrainLayout] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        return try parts.map { part in
            let pair = part.split(separator: "x", omittingEmptySubsequences: false)
            guard pair.count == 2, let r = Int(pair[0]), let t = Int(pair[1]), r > 0, t > 0 else {
                throw DDError.usage("ddtrain bench train: --layouts expects RANKSxTHREADS pairs of positive integers like 1x1,2x1,1x2, got '\(text)'")
            }
            return BenchTrainLayout(ranks: r, threads: t)
        }
    }

    /// The layouts of `--ranks 1,2`: one thread per rank.
    static func oneThreadEach(_ ranks: [Int]) throws -> [BenchTrainLayout] {
        guard !ranks.isEmpty, ranks.allSatisfy({ $0 > 0 }) else {
            throw DDError.usage("ddtrain bench train: --ranks expects positive integers like 1,2")
        }
        return ranks.map { BenchTrainLayout(ranks: $0, threads: 1) }
    }

    /// Whether the layout's ranks get `threads` bound cores each on a machine of `cores` (else oversubscribed, unbound).
    func bound(cores: Int) -> Bool { ranks * threads <= cores }

    /// mpirun's placement options and the environment export: T bound cores per rank (`--map-by slot:PE=T`, or one
    /// core per rank when T = 1) when the layout fits `cores`, else oversubscribed and unbound; T OpenBLAS threads.
    func mpirunOptions(cores: Int) -> [String] {
        let placement: [String]
        if !bound(cores: cores) {
            placement = ["--oversubscribe", "--bind-to", "none"]
        } else {
            placement = ["--map-by", threads > 1 ? "slot:PE=\(threads)" : "core", "--bind-to", "core"]
        }
        return ["-np", String(ranks)] + placement + ["-x", "OPENBLAS_NUM_THREADS=\(threads)"]
    }
}
