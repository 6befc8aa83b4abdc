import Corpus
import FuzzSupport
import Support

/// libFuzzer entry: the bytes as an llm.c token shard (1,024-byte header, then uint16 tokens); the shard's
/// documents are read as prepare reads them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLLMCHeader(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let path = Fuzz.scratchFile("l.bin", UnsafeRawBufferPointer(start: data, count: size))
    Fuzz.expectCleanFailure {
        let source = try LLMCSource(paths: [path], endOfText: 50256)
        var tokens = 0
        try source.forEachDocument(rank: 0, worldSize: 1) { doc in
            if case let .tokens(t) = doc.content { tokens += t.count }
        }
    }
    return 0
}

/// The executable's entry point under SwiftPM (it links `main` to `FuzzLLMCHeader_main`): libFuzzer's driver.
@_cdecl("FuzzLLMCHeader_main")
public func fuzzLLMCHeaderMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    Fuzz.runDriver(argc, argv) { data, size in fuzzLLMCHeader(data, size) }
}
