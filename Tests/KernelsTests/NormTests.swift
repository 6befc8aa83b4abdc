import Testing
import Kernels

/// Double references of the two norms, one row at a time (width 37 exercises the SIMD body and the tail).
private func rmsRef(_ x: [Double], _ g: [Double], _ t: Int, _ c: Int, _ eps: Double) -> [Double] {
    var y = x
    for i in 0..<t {
        let row = x[(i * c)..<((i + 1) * c)]
        let r = 1 / (row.reduce(0) { $0 + $1 * $1 } / Double(c) + eps).squareRoot()
        for j in 0..<c { y[i * c + j] = x[i * c + j] * r * g[j] }
    }
    return y
}

private func layerRef(_ x: [Double], _ g: [Double], _ t: Int, _ c: Int, _ eps: Double) -> [Double] {
    var y = x
    for i in 0..<t {
        let row = Array(x[(i * c)..<((i + 1) * c)])
        let mu = row.reduce(0, +) / Double(c)
        let variance = row.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Double(c)
        let r = 1 / (variance + eps).squareRoot()
        for j in 0..<c { y[i * c + j] = (row[j] - mu) * r * g[j] }
    }
    return y
}

@Suite struct NormTests {
    let t = 4, c = 37, eps: Float = 1e-5

    /// RMSNorm forward within 1e-5 of the Double reference; dx and dgain within 1e-3 (normalised max-abs)
    /// of central differences of Σ r∘y. dgain accumulates onto its previous value.
    @Test func rmsNorm() {
        var rng = makeRNG(3)
        let x = gaussian(t * c, &rng, scale: 2), g = gaussian(c, &rng), r = dbl(gaussian(t * c, &rng))
        var y = [Float](repeating: 0, count: t * c), rstd = [Float](repeating: 0, count: t)
        RMSNorm.forward(x: x, gain: g, y: &y, rstd: &rstd, tokens: t, width: c, eps: eps)
        #expect(normError(y, rmsRef(dbl(x), dbl(g), t, c, Double(eps))) < 1e-5)

        var dx = [Float](repeating: .nan, count: t * c), dg = [Float](repeating: 0.5, count: c)
        RMSNorm.backward(x: x, gain: g, rstd: rstd, dy: r.map { Float($0) }, dx: &dx, dgain: &dg, tokens: t, width: c)
        let fdx = finiteDifference(dbl(x)) { project(rmsRef($0, dbl(g), t, c, Double(eps)), r) }
        let fdg = finiteDifference(dbl(g)) { project(rmsRef(dbl(x), $0, t, c, Double(eps)), r) }
        #expect(normError(dx, fdx) < 1e-3)
        #expect(normError(dg.map { $0 - 0.5 }, fdg) < 1e-3)
    }

    /// LayerNorm (gain only) with the same bounds; inputs carry a large mean to exercise the two-pass variance.
    @Test func layerNorm() {
        var rng = makeRNG(4)
        let x = gaussian(t * c, &rng).map { $0 + 3 }, g = gaussian(c, &rng), r = dbl(gaussian(t * c, &rng))
        var y = [Float](repeating: 0, count: t * c), mean = [Float](repeating: 0, count: t)
        var rstd = [Float](repeating: 0, count: t)
        LayerNorm.forward(x: x, gain: g, y: &y, mean: &mean, rstd: &rstd, tokens: t, width: c, eps: eps)
        #expect(normError(y, layerRef(dbl(x), dbl(g), t, c, Double(eps))) < 1e-5)

        var dx = [Float](repeating: .nan, count: t * c), dg = [Float](repeating: -1, count: c)
        LayerNorm.backward(x: x, gain: g, mean: mean, rstd: rstd, dy: r.map { Float($0) }, dx: &dx, dgain: &dg,
                           tokens: t, width: c)
        let fdx = finiteDifference(dbl(x)) { project(layerRef($0, dbl(g), t, c, Double(eps)), r) }
        let fdg = finiteDifference(dbl(g)) { project(layerRef(dbl(x), $0, t, c, Double(eps)), r) }
        #expect(normError(dx, fdx) < 1e-3)
        #expect(normError(dg.map { $0 + 1 }, fdg) < 1e-3)
    }
}
