import Testing
@testable import Comm

/// The in-process backend that other tests rely on for multi-rank checks.
@Suite struct ThreadGroupTests {
    @Test func allreduceAndAlltoallvMatchHandComputedValues() throws {
        let results = try ThreadGroup.run(size: 3) { comm -> ([Float], [[Int64]], [Int64]) in
            var x: [Float] = [Float(comm.rank), 1, Float(comm.rank * comm.rank)]
            try comm.allreduce(&x, op: .sum)
            let outgoing = (0..<comm.size).map { d in (0..<(comm.rank + d) % 2).map { Int64(comm.rank * 10 + d + $0) } }
            let got = try comm.alltoallv(outgoing)
            let m = try comm.allreduce(Int64(comm.rank * 7), op: .max)
            return (x, got, [m])
        }
        for (r, (x, got, m)) in results.enumerated() {
            #expect(x == [3, 3, 5])
            #expect(got == (0..<3).map { s in (0..<(s + r) % 2).map { Int64(s * 10 + r + $0) } })
            #expect(m == [14])
        }
    }

    @Test func allgathervWithEmptyContributions() throws {
        let results = try ThreadGroup.run(size: 4) { comm in try comm.allgatherv((0..<comm.rank % 2).map { _ in Double(comm.rank) }) }
        for got in results { #expect(got == [[], [1], [], [3]]) }
    }
}
