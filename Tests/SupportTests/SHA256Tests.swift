import Testing
@testable import Support

@Suite struct SHA256Tests {
    /// FIPS 180-4 example vectors (NIST) and digests from Python's hashlib (padding edges 55/56/64 bytes and a
    /// 1000-byte pattern i*7+3 mod 256).
    @Test func matchesPublishedVectors() {
        #expect(SHA256.hex(of: []) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(of: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex(of: [UInt8](repeating: 0x61, count: 55)) == "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318")
        #expect(SHA256.hex(of: [UInt8](repeating: 0x61, count: 56)) == "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a")
        #expect(SHA256.hex(of: [UInt8](repeating: 0x61, count: 64)) == "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb")
        #expect(SHA256.hex(of: (0..<1000).map { UInt8(($0 * 7 + 3) % 256) }) == "1e9bc38cbf860b9ec31918b065f9b52476c549a782e0e7990bed8ce3868d2371")
    }

    @Test func millionAsInUnevenChunks() {
        // NIST's long vector, fed in chunks of varying size so the partial-block path is exercised.
        let data = [UInt8](repeating: 0x61, count: 1_000_000)
        var h = SHA256()
        var i = 0, step = 1
        while i < data.count {
            let n = min(step, data.count - i)
            data[i..<(i + n)].withUnsafeBytes { h.update($0) }
            i += n
            step = step * 3 % 1000 + 1
        }
        #expect(h.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
