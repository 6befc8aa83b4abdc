import Testing
import Support
@testable import Comm

/// Comm's StepExchange on in-process ranks: every item reaches its destination with its tokens and document starts,
/// an owner is asked only for its own items, and a rank never reads another rank's items.
@Suite struct StepExchangeTests {
    static func payload(_ i: Int) -> SequencePayload {
        SequencePayload(tokens: (0..<(3 + i % 4)).map { Int32(i * 100 + $0) }, documentStarts: Array([0, 1, 2 + i % 3].prefix(1 + i % 3)))
    }

    @Test func itemsReachTheirDestinationsWithDocumentStarts() throws {
        let world = 3, n = 17
        let owners = (0..<n).map { $0 % world }, destinations = (0..<n).map { ($0 * 7 + 1) % world }
        let got = try ThreadGroup.run(size: world) { comm -> [(index: Int, payload: SequencePayload)] in
            try StepExchange.exchange(owners: owners, destinations: destinations, comm: comm) { i in
                guard owners[i] == comm.rank else { throw DDError("rank \(comm.rank) asked for item \(i) of rank \(owners[i])") }
                return Self.payload(i)
            }
        }
        for r in 0..<world {
            let want = (0..<n).filter { destinations[$0] == r }
            #expect(got[r].map(\.index) == want, "rank \(r)")
            for (i, p) in got[r] { #expect(p == Self.payload(i), "item \(i)") }
        }
    }

    @Test func nothingMovesWithoutCollectivesAndBadRanksAreErrors() throws {
        let got = try StepExchange.exchange(owners: [0, 0], destinations: [0, 0], comm: SingleProcessCommunicator()) { Self.payload($0) }
        #expect(got.map(\.payload) == [Self.payload(0), Self.payload(1)])
        #expect(throws: DDError.self) {
            _ = try StepExchange.exchange(owners: [0], destinations: [1], comm: SingleProcessCommunicator()) { Self.payload($0) }
        }
        #expect(throws: DDError.self) {
            _ = try StepExchange.exchange(owners: [0, 0], destinations: [0], comm: SingleProcessCommunicator()) { Self.payload($0) }
        }
    }
}
