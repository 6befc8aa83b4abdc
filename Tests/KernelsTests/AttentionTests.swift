import Foundation
import Testing
import Support
import Kernels

/// Packed q, k, v, dout for segments of the given lengths, with helpers to run the kernel.
struct AttentionCase {
    let lengths: [Int], heads: Int, d: Int, tile: Int, keyTile: Int
    /// Segments longer than this are cut into pieces (AttentionItems.swift).
    var pieceLength = Attention.defaultPieceLength
    var q: [Float], k: [Float], v: [Float], dout: [Float]
    var starts: [Int] { lengths.reduce(into: [0]) { $0.append($0.last! + $1) } }
    var tokens: Int { starts.last! }
    var scale: Float { 1 / Float(d).squareRoot() }

    init(lengths: [Int], heads: Int, d: Int, tile: Int = Attention.defaultTile, keyTile: Int = Attention.defaultKeyTile,
         seed: UInt64) {
        self.lengths = lengths; self.heads = heads; self.d = d; self.tile = tile; self.keyTile = keyTile
        var rng = makeRNG(seed)
        let n = lengths.reduce(0, +) * heads * d
        q = gaussian(n, &rng); k = gaussian(n, &rng); v = gaussian(n, &rng); dout = gaussian(n, &rng)
    }

    func forward(precision: Precision = .fp32) throws -> (out: [Float], lse: [Float]) {
        var out = [Float](repeating: .nan, count: q.count), lse = [Float](repeating: .nan, count: tokens * heads)
        var ws = [Float](repeating: .nan, count: Attention.workspaceFloats(maxTokens: tokens, heads: heads, headDim: d, tile: tile,
                                                                              keyTile: keyTile))
        try ws.withUnsafeMutableBufferPointer {
            try Attention.forward(q: q, k: k, v: v, out: &out, lse: &lse, segmentStarts: starts, heads: heads,
                                  headDim: d, scale: scale, workspace: $0, tile: tile, keyTile: keyTile, precision: precision,
                                  pieceLength: pieceLength)
        }
        return (out, lse)
    }

    func backward(out: [Float], lse: [Float], precision: Precision = .fp32) throws -> (dq: [Float], dk: [Float], dv: [Float]) {
        var dq = [Float](repeating: .nan, count: q.count), dk = dq, dv = dq
        var ws = [Float](repeating: .nan, count: Attention.workspaceFloats(maxTokens: tokens, heads: heads, headDim: d, tile: tile,
                                                                              keyTile: keyTile))
        try ws.withUnsafeMutableBufferPointer {
            try Attention.backward(q: q, k: k, v: v, out: out, dout: dout, lse: lse, dq: &dq, dk: &dk, dv: &dv,
                                   segmentStarts: starts, heads: heads, headDim: d, scale: scale, workspace: $0, tile: tile, keyTile: keyTile,
                                   precision: precision, pieceLength: pieceLength)
        }
        return (dq, dk, dv)
    }

    /// Index of element (token, head, c) in a [T, H, D] tensor.
    func at(_ token: Int, _ h: Int, _ c: Int) -> Int { (token * heads + h) * d + c }
}

@Suite struct AttentionTests {
    /// Segments of 1, 2, 17, 64 and 150 tokens, 2 heads, D = 8, with 16×16 tiles (many tiles, diagonal and
    /// off-diagonal), 16 query × 48 key tiles (key tiles cut by the diagonal part-way) and the default tiles. Forward and lse within 1e-5 (normalised) of the naive Double
    /// softmax(QKᵀ)V per segment; dq, dk, dv within 1e-3 (normalised max-abs) of central differences of the
    /// Double reference of Σ dO∘out, on every coordinate of the short segments and 12 sampled in each long one.
    @Test(arguments: [(16, 16), (16, 48), (Attention.defaultTile, Attention.defaultKeyTile)])
    func gradientCheckOverSegments(tile: Int, keyTile: Int) throws {
        // At every fp32 level this CPU has: the AVX2 forms and, with AVX-512, the 6 × 64 block and 16-lane sweeps.
        for level in fp32Levels { try KernelDispatch.withLevel(level) { try checkSegments(tile: tile, keyTile: keyTile) } }
    }

    func checkSegments(tile: Int, keyTile: Int) throws {
        let c = AttentionCase(lengths: [1, 2, 17, 64, 150], heads: 2, d: 8, tile: tile, keyTile: keyTile, seed: 20)
        let (out, lse) = try c.forward()
        let (dq, dk, dv) = try c.backward(out: out, lse: lse)
        var rng = makeRNG(21)
        for (s, len) in c.lengths.enumerated() {
            let start = c.starts[s]
            for h in 0..<c.heads {
                let qs = headSlice(c.q, start: start, length: len, head: h, heads: c.heads, d: c.d)
                let ks = headSlice(c.k, start: start, length: len, head: h, heads: c.heads, d: c.d)
                let vs = headSlice(c.v, start: start, length: len, head: h, heads: c.heads, d: c.d)
                let dos = headSlice(c.dout, start: start, length: len, head: h, heads: c.heads, d: c.d)
                let sc = Double(c.scale)
                let ref = naiveAttention(q: qs, k: ks, v: vs, length: len, d: c.d, scale: sc)
                #expect(normError(headSlice(out, start: start, length: len, head: h, heads: c.heads, d: c.d).map { Float($0) },
                                  ref.out) < 1e-5, "segment \(s) head \(h)")
                let lseGot = (0..<len).map { lse[(start + $0) * c.heads + h] }
                #expect(normError(lseGot, ref.lse) < 1e-5)

                let coords = len <= 17 ? Array(0..<(len * c.d)) : (0..<12).map { _ in rng.nextInt(below: len * c.d) }
                func loss(_ q: [Double], _ k: [Double], _ v: [Double]) -> Double {
                    project(naiveAttention(q: q, k: k, v: v, length: len, d: c.d, scale: sc).out, dos)
                }
                let fdq = finiteDifference(qs, indices: coords) { loss($0, ks, vs) }
                let fdk = finiteDifference(ks, indices: coords) { loss(qs, $0, vs) }
                let fdv = finiteDifference(vs, indices: coords) { loss(qs, ks, $0) }
                func pick(_ g: [Float]) -> [Float] { coords.map { g[c.at(start + $0 / c.d, h, $0 % c.d)] } }
                #expect(normError(pick(dv), fdv) < 1e-3, "dv segment \(s) head \(h) tiles \(tile)×\(keyTile)")
                if len > 1 {
                    #expect(normError(pick(dq), fdq) < 1e-3, "dq segment \(s) head \(h) tiles \(tile)×\(keyTile)")
                    #expect(normError(pick(dk), fdk) < 1e-3, "dk segment \(s) head \(h) tiles \(tile)×\(keyTile)")
                } else {
                    // One key: the softmax is constant, so dq and dk are 0 up to float rounding (FD gives exactly 0).
                    #expect(fdq.allSatisfy { abs($0) < 1e-9 } && fdk.allSatisfy { abs($0) < 1e-9 })
                    #expect(pick(dq).allSatisfy { abs($0) < 1e-5 } && pick(dk).allSatisfy { abs($0) < 1e-5 })
                }
            }
        }
    }

    /// Tokens never attend across segments: changing k, v and dout of one segment leaves every output and
    /// every gradient of the other segments bit-for-bit unchanged, and changing q there leaves their lse alone.
    @Test func segmentsAreIsolated() throws {
        var c = AttentionCase(lengths: [5, 40, 33, 1], heads: 2, d: 8, tile: 16, keyTile: 32, seed: 22)
        let (out0, lse0) = try c.forward()
        let g0 = try c.backward(out: out0, lse: lse0)
        let touched = c.starts[1]..<c.starts[2]
        for t in touched { for j in 0..<(c.heads * c.d) {
            let i = t * c.heads * c.d + j
            c.q[i] += 1; c.k[i] *= -3; c.v[i] += 5; c.dout[i] -= 2
        } }
        let (out1, lse1) = try c.forward()
        let g1 = try c.backward(out: out1, lse: lse1)
        let w = c.heads * c.d
        for t in 0..<c.tokens where !touched.contains(t) {
            let r = (t * w)..<((t + 1) * w)
            #expect(out0[r] == out1[r] && g0.dq[r] == g1.dq[r] && g0.dk[r] == g1.dk[r] && g0.dv[r] == g1.dv[r], "token \(t)")
            #expect(lse0[(t * c.heads)..<((t + 1) * c.heads)] == lse1[(t * c.heads)..<((t + 1) * c.heads)])
        }
        #expect(out0[(touched.lowerBound * w)..<(touched.upperBound * w)] != out1[(touched.lowerBound * w)..<(touched.upperBound * w)])
    }

    /// Bad segment lists and short workspaces are DDErrors naming the fix.
    @Test func rejectsBadInput() throws {
        let c = AttentionCase(lengths: [4], heads: 1, d: 8, seed: 23)
        var out = [Float](repeating: 0, count: c.q.count), lse = [Float](repeating: 0, count: 4)
        var ws = [Float](repeating: 0, count: Attention.workspaceFloats(maxTokens: 4, heads: 1, headDim: 8))
        for starts in [[1, 4], [0], [0, 3, 2, 4]] {
            #expect(throws: DDError.self) {
                try ws.withUnsafeMutableBufferPointer {
                    try Attention.forward(q: c.q, k: c.k, v: c.v, out: &out, lse: &lse, segmentStarts: starts, heads: 1,
                                          headDim: 8, scale: 1, workspace: $0)
                }
            }
        }
        // Tiles must be multiples of 16 (the packed key panels' width).
        for (tile, keyTile) in [(24, 32), (16, 40)] {
            var wide = [Float](repeating: 0, count: Attention.workspaceFloats(maxTokens: 4, heads: 1, headDim: 8, tile: 48,
                                                                              keyTile: 48))
            #expect(throws: DDError.self) {
                try wide.withUnsafeMutableBufferPointer {
                    try Attention.forward(q: c.q, k: c.k, v: c.v, out: &out, lse: &lse, segmentStarts: [0, 4], heads: 1,
                                          headDim: 8, scale: 1, workspace: $0, tile: tile, keyTile: keyTile)
                }
            }
        }
        var small = [Float](repeating: 0, count: 10)
        #expect(throws: DDError.self) {
            try small.withUnsafeMutableBufferPointer {
                try Attention.forward(q: c.q, k: c.k, v: c.v, out: &out, lse: &lse, segmentStarts: [0, 4], heads: 1,
                                      headDim: 8, scale: 1, workspace: $0)
            }
        }
    }
}
