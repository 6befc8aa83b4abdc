import Foundation
import Testing
import TestSupport
import TrainerFixtures
@testable import Corpus
@testable import Support
@testable import Trainer

/// The config's data section against the manifest: stated keys must agree, absent ones come from the data.
struct DataAgreementTests {
    let manifest = try! DatasetStore(directory: TrainerFixture.dataDirectory).manifest

    func config(_ data: [(String, JSON)]) throws -> TrainingConfig {
        try TrainingConfig(json: .obj(["data": .object([("dir", .string(TrainerFixture.dataDirectory))] + data)]))
    }

    @Test func statedKeysThatDifferAreAllNamedWithBothValues() throws {
        // The fixture was prepared with buckets 4...8, baselines [128] and valid share 0.1.
        let c = try config([("min_bucket", .int(6)), ("max_bucket", .int(10)), ("baselines", .ints([128])), ("valid_fraction", .number(0.2))])
        do {
            _ = try DataAgreement.resolved(c, manifest: manifest)
            Issue.record("a disagreeing data section was accepted")
        } catch let e as DDError {
            #expect(e.message.contains("min_bucket: config 6, prepared 4"), "\(e.message)")
            #expect(e.message.contains("max_bucket: config 10, prepared 8"), "\(e.message)")
            #expect(e.message.contains("valid_fraction: config 0.2, prepared 0.1"), "\(e.message)")
            #expect(!e.message.contains("baselines"), "\(e.message)")
        }
    }

    @Test func absentKeysComeFromTheManifestAndResolvingIsStable() throws {
        let c = try config([])
        let r = try DataAgreement.resolved(c, manifest: manifest)
        #expect(r.data.decomposition.minBucket == 4 && r.data.decomposition.maxBucket == 8)
        #expect(r.data.baselines == [128] && r.data.validFraction == 0.1)
        // The saved config (every key stated) resolves to itself, so a resume with either file has one identity.
        let again = try DataAgreement.resolved(try TrainingConfig(json: r.json), manifest: manifest)
        #expect(again.identityHash == r.identityHash)
        #expect(try DataAgreement.resolved(c, manifest: manifest).identityHash == r.identityHash)
    }

    @Test func trainRefusesAMismatchAndWritesNothing() throws {
        let dir = MPIRunner.temporaryDirectory("mismatch")
        let cfg = TrainerFixture.config("mismatch")
        let res = try MPIRunner.mpirun(2, ["train", "--config", cfg, "--out", dir + "/run", "--set", "data.min_bucket=5", "--set", "data.max_bucket=7"], timeout: 60)
        #expect(res.status != 0)
        #expect(res.stderr.contains("min_bucket: config 5, prepared 4; max_bucket: config 7, prepared 8"), "\(res.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/run/checkpoints"))
    }
}

extension DataAgreementTests {
    /// A relative source path agrees with the absolute one prepare recorded; another file does not.
    @Test func sourcePathsAgreeRelativeToWherePrepareRan() throws {
        let recorded = manifest.json["settings"]!["sources"]!.arrayValue![0].stringValue!
        let relative = String(recorded.split(separator: "/").suffix(2).joined(separator: "/"))
        #expect(DataAgreement.differences(config: try config([("sources", .array([.string(relative)]))]).data, stated: ["sources"], manifest: manifest).isEmpty)
        let other = try config([("sources", .array([.string("elsewhere/other.jsonl")]))]).data
        #expect(DataAgreement.differences(config: other, stated: ["sources"], manifest: manifest).count == 1)
    }
}
