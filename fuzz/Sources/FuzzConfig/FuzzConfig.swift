import FuzzSupport
import Support
import Trainer

/// libFuzzer entry: the bytes as a JSON config file, parsed and checked section by section.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    Fuzz.expectCleanFailure {
        let json = try JSONParser.parse(bytes, source: "fuzz.json")
        let config = try TrainingConfig(json: json)
        _ = try config.modelConfig(vocabulary: 257)
        _ = config.identityHash
    }
    return 0
}

/// The executable's entry point under SwiftPM (it links `main` to `FuzzConfig_main`): libFuzzer's driver.
@_cdecl("FuzzConfig_main")
public func fuzzConfigMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    Fuzz.runDriver(argc, argv) { data, size in fuzzConfig(data, size) }
}
