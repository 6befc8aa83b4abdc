import Corpus
import FuzzSupport
import Support

/// A fixed .bin beside the fuzzed .idx: 4,096 bytes of a repeating pattern (valid uint16 and int32 ids).
let binBytes: [UInt8] = (0..<4096).map { UInt8(truncatingIfNeeded: $0 % 61) }

/// libFuzzer entry: the bytes as a Megatron-LM .idx; every document it describes is read from the .bin.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMegatronIndex(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let idx = Fuzz.scratchFile("m.idx", UnsafeRawBufferPointer(start: data, count: size))
    _ = binBytes.withUnsafeBytes { Fuzz.scratchFile("m.bin", $0) }
    Fuzz.expectCleanFailure {
        let ds = try MegatronDataset(path: idx)
        for i in 0..<min(ds.documentCount, 4096) { _ = try ds.documentTokens(i) }
    }
    return 0
}

/// The executable's entry point under SwiftPM (it links `main` to `FuzzMegatronIndex_main`): libFuzzer's driver.
@_cdecl("FuzzMegatronIndex_main")
public func fuzzMegatronIndexMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    Fuzz.runDriver(argc, argv) { data, size in fuzzMegatronIndex(data, size) }
}
