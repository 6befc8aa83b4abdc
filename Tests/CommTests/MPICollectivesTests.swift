import Foundation
import Testing
import TestSupport
@testable import Support

/// The collectives under mpirun, checked against values this test computes from the documented inputs
/// (see SelftestCollectives.swift): rank r contributes a fixed function of r, and the test sums, maxes and
/// concatenates those functions itself.
@Suite(.serialized) struct MPICollectivesTests {
    static let count = 1000

    @Test(arguments: [(2, 0), (3, 0), (2, 100), (3, 16)])
    func collectivesMatchIndependentArithmetic(ranks: Int, chunkBytes: Int) throws {
        let out = MPIRunner.temporaryDirectory("coll")
        let env = chunkBytes > 0 ? ["DDTRAIN_COMM_CHUNK_BYTES": String(chunkBytes)] : [:]
        let res = try MPIRunner.mpirun(ranks, ["selftest", "collectives", "--out", out, "--count", String(Self.count)], environment: env, timeout: 60)
        #expect(res.status == 0, "mpirun failed: \(res.stderr)")
        for r in 0..<ranks {
            let j = try FileIO.readJSON("\(out)/rank-\(r).json")
            try check(j, rank: r, size: ranks)
        }
    }

    private func doubles(_ j: JSON?) -> [Double] { j?.arrayValue?.compactMap(\.doubleValue) ?? [] }

    private func check(_ j: JSON, rank r: Int, size: Int) throws {
        let n = Self.count
        var sumFloat = [Double](repeating: 0, count: n), sumInt = [Double](repeating: 0, count: n)
        for i in 0..<n {
            for q in 0..<size {
                sumFloat[i] += Double(q + 1) * Double(i % 7) + 0.5
                sumInt[i] += Double(q * 1_000_000_007 + i)
            }
        }
        #expect(doubles(j["allreduce_sum_float"]) == sumFloat)
        #expect(doubles(j["allreduce_sum_int64"]) == sumInt)
        let b = { (q: Int, i: Int) in Double((31 * q + 17 * i) % 101) }
        #expect(doubles(j["allreduce_max_double"]) == (0..<n).map { i in (0..<size).map { b($0, i) }.max()! })
        #expect(doubles(j["allreduce_min_double"]) == (0..<n).map { i in (0..<size).map { b($0, i) }.min()! })
        let blocks = (0..<size).map { n / size + ($0 < n % size ? 1 : 0) }
        let start = blocks[..<r].reduce(0, +)
        var block = [Double](repeating: 0, count: blocks[r])
        for i in 0..<blocks[r] { for q in 0..<size { block[i] += Double(q) + Double(start + i) * 0.25 } }
        #expect(doubles(j["reduce_scatter_block"]) == block)
        let root = size - 1
        #expect(doubles(j["broadcast_bytes"]) == (0..<n).map { Double((13 * $0 + root) % 256) })
        #expect(doubles(j["allgather_int64"]) == (0..<size).flatMap { q in (0..<3).map { Double(10 * q + $0) } })
        let gv = j["allgatherv_int64"]?.arrayValue?.map(doubles) ?? []
        #expect(gv == (0..<size).map { q in (0..<q).map { Double(100 * q + $0) } })
        let expectedA2A = (0..<size).map { s in (0..<((s + 2 * r) % 3 * 37)).map { jj in Double((16 * s + 4 * r + jj) % 256) } }
        #expect(j["alltoallv_typed"]?.arrayValue?.map(doubles) == expectedA2A)
        #expect(j["alltoallv_raw"]?.arrayValue?.map(doubles) == expectedA2A)
    }

    @Test func failureOnOneRankEndsTheJobPromptlyWithItsMessage() throws {
        for (ranks, victim) in [(2, 1), (3, 0)] {
            let res = try MPIRunner.mpirun(ranks, ["selftest", "fail", "--rank", String(victim)], timeout: 60)
            #expect(res.status != 0)
            #expect(res.seconds < 10, "job took \(res.seconds) s to end")
            #expect(res.stderr.contains("rank \(victim): injected failure on rank \(victim)"), "stderr: \(res.stderr)")
        }
    }

    @Test func envAndBenchRunUnderMPI() throws {
        let env = try MPIRunner.mpirun(2, ["env", "--json"], timeout: 60)
        #expect(env.status == 0, "\(env.stderr)")
        let facts = try JSONParser.parse(env.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(facts["world_size"]?.intValue == 2)
        #expect(facts["backend"]?.stringValue == "mpi")
        #expect(facts["mpi_library"]?.stringValue?.contains("Open MPI") == true)
        let bench = try MPIRunner.mpirun(2, ["bench", "comm", "--sizes-mb", "1", "--iterations", "2", "--json"], timeout: 60)
        #expect(bench.status == 0, "\(bench.stderr)")
        let b = try JSONParser.parse(bench.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let row = b["sizes"]?.arrayValue?.first
        #expect(row?["size_bytes"]?.intValue == 1_000_000)
        #expect((row?["busbw_gb_per_s"]?.doubleValue ?? 0) > 0)
    }
}
