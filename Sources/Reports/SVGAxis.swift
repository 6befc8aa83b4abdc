import Support
#if canImport(Glibc)
import Glibc
#endif

/// How an axis maps values to pixels.
public enum AxisScale: Equatable {
    case linear
    /// Base-2 logarithmic, ticks at powers of two (sequence lengths).
    case log2
}

/// One plot axis: its label (with units), scale and the value range it shows, widened to whole tick steps.
public struct SVGAxis: Equatable {
    public var label: String
    public var scale: AxisScale
    /// The range shown (after widening to ticks).
    public private(set) var lower: Double
    public private(set) var upper: Double
    /// Tick values inside [lower, upper].
    public private(set) var ticks: [Double]

    /// An axis covering `values` (non-finite values, and for log2 non-positive ones, are ignored).
    public init(label: String, scale: AxisScale = .linear, values: [Double], includeZero: Bool = false) {
        self.label = label
        self.scale = scale
        var finite = values.filter { $0.isFinite && (scale == .linear || $0 > 0) }
        if includeZero, scale == .linear { finite.append(0) }
        let lo = finite.min() ?? (scale == .log2 ? 1 : 0), hi = finite.max() ?? (scale == .log2 ? 2 : 1)
        switch scale {
        case .linear:
            let t = SVGAxis.niceTicks(lo, hi)
            ticks = t.ticks
            lower = t.lower
            upper = t.upper
        case .log2:
            // A third of an octave of margin, so lines at the extreme lengths stay off the frame.
            let a = log2(lo) - 0.3, b = log2(hi) + 0.3
            let first = a.rounded(.up), last = b.rounded(.down)
            let stride = Swift.max(1.0, ((last - first) / 8).rounded(.up))
            ticks = Swift.stride(from: first, through: last, by: stride).map { pow(2, $0) }
            lower = pow(2, a)
            upper = pow(2, b)
        }
    }

    /// Ticks at 1, 2 or 5 × 10^k steps, about `target` of them, and the range widened to whole steps.
    public static func niceTicks(_ lo: Double, _ hi: Double, target: Int = 6) -> (lower: Double, upper: Double, ticks: [Double]) {
        var lo = lo, hi = hi
        if hi - lo < 1e-12 * Swift.max(1, abs(hi)) {
            let pad = lo == 0 ? 1 : abs(lo) * 0.05
            lo -= pad
            hi += pad
        }
        let raw = (hi - lo) / Double(target)
        let magnitude = pow(10, log10(raw).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw * 0.999 } ?? 10 * magnitude
        let first = (lo / step).rounded(.down), last = (hi / step).rounded(.up)
        let ticks = Swift.stride(from: first, through: last + 0.5, by: 1).map { $0 * step }
        return (first * step, last * step, ticks)
    }

    /// Where `value` falls between pixel positions `from` (at `lower`) and `to` (at `upper`).
    public func position(_ value: Double, from: Double, to: Double) -> Double {
        let f: Double
        switch scale {
        case .linear: f = (value - lower) / (upper - lower)
        case .log2: f = (log2(value) - log2(lower)) / (log2(upper) - log2(lower))
        }
        return from + f * (to - from)
    }

    /// Whether a value can be drawn on this axis.
    public func accepts(_ value: Double) -> Bool { value.isFinite && (scale == .linear || value > 0) }

    /// A tick's label: as few decimals as the step needs; powers of two as whole numbers.
    public func tickLabel(_ value: Double) -> String {
        if scale == .log2 { return value >= 1 ? String(Int(value.rounded())) : fixed(value, 3) }
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
        let decimals = Swift.max(0, Int(-log10(step).rounded(.down)))
        return fixed(abs(value) < step * 1e-9 ? 0 : value, Swift.min(decimals, 6))
    }
}
