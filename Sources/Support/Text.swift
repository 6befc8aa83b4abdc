/// Text formatting for tables and progress lines, without Foundation.
extension String {
    /// The string padded with spaces on the right to `width` characters.
    public func padded(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    /// The string padded with spaces on the left to `width` characters.
    public func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}

/// `x` with exactly `decimals` digits after the point (round half away from zero).
public func fixed(_ x: Double, _ decimals: Int) -> String {
    guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let r = (abs(x) * scale).rounded()
    guard r < 9e18 else { return "\(x)" }
    let n = UInt64(r)
    let whole = n / UInt64(scale), frac = n % UInt64(scale)
    var s = (x < 0 && n != 0 ? "-" : "") + String(whole)
    if decimals > 0 {
        let f = String(frac)
        s += "." + String(repeating: "0", count: decimals - f.count) + f
    }
    return s
}

/// A byte count as a short human-readable figure (e.g. "16.0 MiB").
public func humanBytes(_ n: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var x = Double(n), u = 0
    while x >= 1024, u < units.count - 1 { x /= 1024; u += 1 }
    return u == 0 ? "\(n) B" : fixed(x, 1) + " " + units[u]
}
