/// SplitMix64: a tiny seedable generator, used to derive independent seeds from (seed, stream ids).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A well-mixed 64-bit value determined by a seed and a list of stream ids (e.g. seed, document id).
    public static func derive(_ seed: UInt64, _ ids: UInt64...) -> UInt64 {
        var g = SplitMix64(seed: seed)
        var h = g.next()
        for id in ids { g = SplitMix64(seed: h ^ (id &* 0xD6E8_FEB8_6659_FD93)); h = g.next() }
        return h
    }
}

/// Xoshiro256**: the project's reproducible random source. Its whole state is four words, saved in checkpoints.
public struct Xoshiro256: RandomNumberGenerator, Sendable, Equatable {
    public var s: (UInt64, UInt64, UInt64, UInt64)

    public static func == (a: Xoshiro256, b: Xoshiro256) -> Bool { a.state == b.state }

    /// Seeds the four words from SplitMix64, as the generator's authors recommend.
    public init(seed: UInt64) {
        var g = SplitMix64(seed: seed)
        s = (g.next(), g.next(), g.next(), g.next())
    }

    /// Restores a generator from `state`.
    public init(state: [UInt64]) {
        precondition(state.count == 4)
        s = (state[0], state[1], state[2], state[3])
    }

    /// The four state words, for checkpoints.
    public var state: [UInt64] { [s.0, s.1, s.2, s.3] }

    public mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = (s.3 << 45) | (s.3 >> 19)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform integer in [0, n) without modulo bias.
    public mutating func nextInt(below n: Int) -> Int {
        precondition(n > 0)
        return Int(truncatingIfNeeded: UInt64(n) == 0 ? 0 : next(upperBound: UInt64(n)))
    }

    /// Standard normal by Box–Muller (one of the pair; simple and reproducible).
    public mutating func nextGaussian() -> Double {
        var u1 = nextDouble()
        while u1 <= 0 { u1 = nextDouble() }
        let u2 = nextDouble()
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }

    /// Fisher–Yates shuffle of `a` in place.
    public mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = nextInt(below: i + 1)
            if i != j { a.swapAt(i, j) }
        }
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) private func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#else
import Foundation
@inline(__always) private func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Foundation.cos(x) }
#endif
