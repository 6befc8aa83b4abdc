/// Linear warmup to the peak rate, then cosine decay to a floor, evaluated per step (method.md §4).
public struct LearningRateSchedule: Equatable {
    public let peak: Double
    public let floor: Double
    public let warmupSteps: Int
    public let totalSteps: Int

    public init(peak: Double, floor: Double, warmupSteps: Int, totalSteps: Int) {
        self.peak = peak
        self.floor = floor
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    /// The rate of step `t` (0-based): (t+1)/warmup · peak during warmup, then
    /// floor + (peak − floor)·(1 + cos(π·p))/2 with p the fraction of the decay phase done.
    public func rate(at t: Int) -> Double {
        if t < warmupSteps { return peak * Double(t + 1) / Double(warmupSteps) }
        let decaySteps = max(1, totalSteps - warmupSteps)
        let p = min(1, Double(t - warmupSteps) / Double(decaySteps))
        return floor + (peak - floor) * 0.5 * (1 + cosine(Double.pi * p))
    }
}

#if canImport(Glibc)
import Glibc
private func cosine(_ x: Double) -> Double { Glibc.cos(x) }
#endif
