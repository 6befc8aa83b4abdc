// Internal SIMD helpers shared by the kernels: unaligned vector loads/stores and a vectorised exp.
//
// Swift does not auto-vectorise float reductions (no fast-math), and under the default SSE2 target
// `exp` on a SIMD vector lowers to one libm call per lane. The exp below is plain arithmetic (range
// reduction to [-ln2/2, ln2/2], a degree-6 polynomial, 2^n built from the exponent bits), which
// compiles to AVX2/FMA instructions with `-target-cpu haswell`. The polynomial coefficients are the
// classic Cephes `expf` minimax fit (S. Moshier, Cephes Math Library), accurate to ~2 ulp.

/// Loads 8 consecutive floats from any address.
@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

/// Stores 8 consecutive floats at any address.
@inline(__always)
func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// Loads 16 consecutive floats from any address.
@inline(__always)
func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

/// Stores 16 consecutive floats at any address.
@inline(__always)
func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}

/// Lane-wise maximum. The standard `pointwiseMax` is an out-of-line generic call here (measured: it
/// dominated the row-max loops), so this is spelled as a compare and a blend.
@inline(__always)
func vmax(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a.replacing(with: b, where: a .< b) }

/// Lane-wise minimum (compare and blend, see `vmax`).
@inline(__always)
func vmin(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a.replacing(with: b, where: b .< a) }

/// Largest lane of a vector.
@inline(__always)
func hmax(_ a: SIMD8<Float>) -> Float {
    let b = vmax(a, SIMD8(a[4], a[5], a[6], a[7], a[0], a[1], a[2], a[3]))
    return max(max(b[0], b[1]), max(b[2], b[3]))
}

/// e^x on 8 lanes; exactly 0 below -87.3 (so masked scores of -inf give probability 0), clamped above
/// 88.37 (the largest input whose 2^n scale is still a normal float).
///
/// `@_transparent` (mandatory inlining) rather than `@inline(__always)`: with the latter the optimizer still
/// emitted an out-of-line call per 8 elements inside the softmax loops (seen in the disassembly).
@_transparent
func vexp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let magic = SIMD8<Float>(repeating: 12_582_912.0)  // 1.5·2^23: adding it rounds to an integer in the low bits
    let xc = vmin(vmax(x, SIMD8(repeating: -87.33654)), SIMD8(repeating: 88.37626))
    // u.addingProduct(v, w) = u + v·w, one fused multiply-add with -target-cpu haswell.
    let t = magic.addingProduct(xc, SIMD8(repeating: 1.442_695_04))
    let n = t - magic
    // Two-step reduction r = x - n·ln2 with ln2 split in a high part exact in float and a low correction.
    var r = xc.addingProduct(n, SIMD8(repeating: -0.693_359_375))
    r = r.addingProduct(n, SIMD8(repeating: 2.121_944_4e-4))
    var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
    p = SIMD8(repeating: 1.398_199_95e-3).addingProduct(p, r)
    p = SIMD8(repeating: 8.333_451_9e-3).addingProduct(p, r)
    p = SIMD8(repeating: 4.166_579_6e-2).addingProduct(p, r)
    p = SIMD8(repeating: 1.666_666_5e-1).addingProduct(p, r)
    p = SIMD8(repeating: 5.000_000_1e-1).addingProduct(p, r)
    let er = (r + 1).addingProduct(p, r * r)
    let ni = unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000
    let scale = unsafeBitCast((ni &+ 127) &<< 23, to: SIMD8<Float>.self)
    return (er * scale).replacing(with: 0, where: x .< -87.33654)
}

/// 2^x on 8 lanes for x ≤ 127; exactly 0 at or below −127 (so −inf gives 0), NaN stays NaN. Cheaper than
/// `vexp` (no range reduction by ln 2, no upper clamp, no final select): the softmax tiles feed it
/// s·log₂e − shift with one FMA. Polynomial: degree-6 fit of 2^f on [−½, ½] (minimax by Lawson's iteration,
/// computed for this project), relative error 1e-7 in float arithmetic.
@_transparent
func vexp2(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let magic = SIMD8<Float>(repeating: 12_582_912.0)  // 1.5·2^23: adding it rounds to an integer in the low bits
    let xc = vmax(x, SIMD8(repeating: -127))
    let t = xc + magic
    let f = xc - (t - magic)
    var p = SIMD8<Float>(repeating: 1.534_581_2e-4)
    p = SIMD8(repeating: 1.339_993_1e-3).addingProduct(p, f)
    p = SIMD8(repeating: 9.618_489_1e-3).addingProduct(p, f)
    p = SIMD8(repeating: 5.550_328_6e-2).addingProduct(p, f)
    p = SIMD8(repeating: 2.402_264_6e-1).addingProduct(p, f)
    p = SIMD8(repeating: 6.931_471_8e-1).addingProduct(p, f)
    p = SIMD8(repeating: 1).addingProduct(p, f)
    // t's low bits hold n + 0x40_0000; (n + 127) << 23 is 2^n as a float (0 for n = −127).
    let bits = (unsafeBitCast(t, to: SIMD8<Int32>.self) &+ (127 - 0x4B40_0000)) &<< 23
    return p * unsafeBitCast(bits, to: SIMD8<Float>.self)
}

/// log₂e, the factor that turns a natural-log exponent into the base-2 one `vexp2` takes.
let log2e: Float = 1.442_695_04

/// Scalar e^x by the same algorithm (used for tails so results do not depend on alignment).
@inline(__always)
func sexp(_ x: Float) -> Float {
    vexp(SIMD8(repeating: x))[0]
}

/// Scalar 2^x by the algorithm of `vexp2` (tails of the softmax rows).
@inline(__always)
func sexp2(_ x: Float) -> Float {
    vexp2(SIMD8(repeating: x))[0]
}
