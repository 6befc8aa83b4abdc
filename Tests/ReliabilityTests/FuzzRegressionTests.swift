import Foundation
import Testing
import TestSupport
@testable import Corpus
@testable import Support
@testable import Trainer

/// Inputs found by the fuzz targets (fuzz/regressions/<reader>/*, plus the seeds) replayed through the same
/// readers in process: each must be read or rejected with a one-line DDError that says how to fix it, never
/// crash. A new finding becomes a regression test by dropping its file into the folder.
extension ReliabilityTests {
    static let fuzzRoot = MPIRunner.packageRoot + "/fuzz"

    /// The files of fuzz/regressions/`kind` and fuzz/seeds/`kind`.
    static func fuzzInputs(_ kind: String) -> [String] {
        ["regressions", "seeds"].flatMap { group -> [String] in
            let dir = "\(fuzzRoot)/\(group)/\(kind)"
            return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted().map { "\(dir)/\($0)" }
        }
    }

    /// Runs `body`; a thrown error must be a one-line DDError with a fix.
    static func expectReadOrCleanError(_ input: String, _ body: () throws -> Void) {
        do {
            try body()
        } catch let e as DDError {
            #expect(!e.message.contains("\n") && e.message.contains("(fix: "), "\(input): \(e.message)")
        } catch {
            Issue.record("\(input): a non-DDError escaped: \(error)")
        }
    }

    @Test func fuzzFindingsConfigAndManifest() throws {
        for path in Self.fuzzInputs("config") {
            let bytes = try FileIO.readAll(path)
            Self.expectReadOrCleanError(path) { _ = try TrainingConfig(json: try JSONParser.parse(bytes, source: path)) }
        }
        for path in Self.fuzzInputs("manifest") {
            let bytes = try FileIO.readAll(path)
            Self.expectReadOrCleanError(path) { _ = try Manifest(json: try JSONParser.parse(bytes, source: path), path: path) }
        }
        #expect(Self.fuzzInputs("config").count >= 2 && Self.fuzzInputs("manifest").count >= 1)
    }

    /// The Megatron finding: an .idx whose sequence pointer is near Int64.max made `pointer + size` wrap past
    /// the bounds check and the read fault (SEGV). Each .idx is read with a 4,096-byte .bin beside it.
    @Test func fuzzFindingsMegatronIndex() throws {
        let dir = MPIRunner.temporaryDirectory("rel-fuzz-megatron")
        let bin = (0..<4096).map { UInt8(truncatingIfNeeded: $0 % 61) }
        var rejected: [String: String] = [:]
        for path in Self.fuzzInputs("megatron") {
            let name = (path as NSString).lastPathComponent
            let prefix = dir + "/" + name.replacingOccurrences(of: ".idx", with: "")
            try FileManager.default.copyItem(atPath: path, toPath: prefix + ".idx")
            try Data(bin).write(to: URL(fileURLWithPath: prefix + ".bin"))
            Self.expectReadOrCleanError(path) {
                do {
                    let ds = try MegatronDataset(path: prefix + ".idx")
                    for i in 0..<ds.documentCount { _ = try ds.documentTokens(i) }
                } catch let e as DDError {
                    rejected[name] = e.message
                    throw e
                }
            }
        }
        #expect(rejected["pointer-near-int64-max.idx"]?.contains("beyond the file's 4096 bytes") == true, "\(rejected)")
        #expect(rejected["negative-size.idx"]?.contains("-5 tokens") == true, "\(rejected)")
    }

    @Test func fuzzFindingsLLMC() throws {
        for path in Self.fuzzInputs("llmc") {
            Self.expectReadOrCleanError(path) {
                try LLMCSource(paths: [path], endOfText: 50256).forEachDocument(rank: 0, worldSize: 1) { _ in }
            }
        }
        #expect(!Self.fuzzInputs("llmc").isEmpty)
    }
}
