import Corpus
import FuzzSupport
import Support

/// libFuzzer entry: the bytes as a dataset's manifest.json.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    Fuzz.expectCleanFailure {
        let manifest = try Manifest(json: try JSONParser.parse(bytes, source: "manifest.json"), path: "manifest.json")
        for l in manifest.layouts { _ = (l.name, l.trainCounts, l.validCounts, l.trainTokens) }
    }
    return 0
}

/// The executable's entry point under SwiftPM (it links `main` to `FuzzManifest_main`): libFuzzer's driver.
@_cdecl("FuzzManifest_main")
public func fuzzManifestMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    Fuzz.runDriver(argc, argv) { data, size in fuzzManifest(data, size) }
}
