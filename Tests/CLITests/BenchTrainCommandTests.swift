import Foundation
import Testing
import TestSupport
import TrainerFixtures
import Support

/// `ddtrain bench train`: layouts RxT parse or are refused with one line naming --layouts, and a short run of
/// 1x1,2x1,1x2 on the fixture's data prints one row per layout with positive figures.
@Suite(.serialized) struct BenchTrainCommandTests {
    @Test(arguments: ["2y1", "1x0", "0x1", "2x", "1x1,,2x1", "x2"])
    func badLayoutsAreOneLineUsageErrors(_ layouts: String) throws {
        let r = try MPIRunner.ddtrain(["bench", "train", "--layouts", layouts])
        #expect(r.status == 2, "--layouts \(layouts): exit \(r.status), \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("--layouts") && r.stderr.contains("RANKSxTHREADS"),
                "--layouts \(layouts): \(r.stderr)")
    }

    @Test func zeroRanksAndBothOptionsAreRefused() throws {
        for argv in [["--ranks", "0,2"], ["--ranks", "1", "--layouts", "1x1"]] {
            let r = try MPIRunner.ddtrain(["bench", "train"] + argv)
            #expect(r.status == 2 && r.stderr.split(separator: "\n").count == 1, "\(argv): exit \(r.status), \(r.stderr)")
        }
    }

    @Test func layoutsPrintOneRowEachWithPositiveFigures() throws {
        let config = TrainerFixture.config("bench-train")
        let r = try MPIRunner.ddtrain(["bench", "train", "--config", config, "--layouts", "1x1,2x1,1x2", "--steps", "2", "--warmup", "1",
                                       "--json"], timeout: 300)
        try #require(r.status == 0, "\(r.stderr)")
        let j = try JSONParser.parse(r.stdout)
        let rows = j["runs"]?.arrayValue ?? []
        #expect(rows.map { $0["layout"]?.stringValue } == ["1x1", "2x1", "1x2"])
        #expect(rows.map { $0["ranks"]?.intValue } == [1, 2, 1] && rows.map { $0["threads_per_rank"]?.intValue } == [1, 1, 2])
        for row in rows {
            for key in ["tokens_per_s", "speedup_over_first", "resident_bytes", "resident_mib", "tokens_per_core_s"] {
                #expect((row[key]?.doubleValue ?? 0) > 0, "\(row["layout"]?.stringValue ?? "?") \(key): \(row[key]?.compact ?? "missing")")
            }
            #expect(row["tokens"]?.intValue == rows[0]["tokens"]?.intValue, "every layout trains the same global batches")
        }
        #expect(rows.first?["speedup_over_first"]?.doubleValue == 1)
        #expect(rows[0]["exposed_comm_share"]?.doubleValue == 0 && (rows[1]["exposed_comm_share"]?.doubleValue ?? -1) >= 0)
        // One rank waits for nobody; with two, the least wait and the mean wait beyond it are shares of the step.
        #expect(rows[0]["imbalance_wait_share"]?.doubleValue == 0)
        let exposed = rows[1]["exposed_comm_share"]?.doubleValue ?? -1, imbalance = rows[1]["imbalance_wait_share"]?.doubleValue ?? -1
        #expect(imbalance >= 0 && exposed + imbalance < 1, "2x1: exposed \(exposed), imbalance \(imbalance)")
        #expect(j["exposed_comm_layout"]?.stringValue == "2x1" && j["threads_vs_ranks"]?.stringValue == "1x2 vs 2x1")
        #expect(j["target_threads_met"]?.boolValue != nil && j["target_exposed_comm_met"]?.boolValue != nil)
        // Two processes hold two runtimes, MPI states and model copies; one process of two threads holds one.
        let resident = rows.map { $0["resident_bytes"]?.doubleValue ?? 0 }
        #expect(resident[1] > 1.3 * resident[2], "resident bytes 2x1 \(resident[1]), 1x2 \(resident[2])")
    }
}
