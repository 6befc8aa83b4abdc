import Support

/// What the machine itself gives T threads: the ceiling for any kernel's T-thread ÷ 1-thread speed-up.
extension KernelBench {
    /// Aggregate FLOP/s of `probe` run on every thread of `pool` at once, by wall clock, best of `repeats`.
    /// The work is cut into 4 chunks per thread handed out as threads come free, so a thread that starts late
    /// (or a core shared with other work) shows up as a lower total rather than as one thread's idle tail.
    public static func peak(_ probe: PeakProbe, pool: WorkerPool, repeats: Int = 5) -> Double {
        let chunks = 4 * pool.threads, iterations = probe.iterations / 4
        var best = 0.0
        for _ in 0..<max(1, repeats) {
            var flops = [Double](repeating: 0, count: chunks)
            let t0 = monotonicSeconds()
            flops.withUnsafeMutableBufferPointer { out in
                pool.run(items: chunks) { chunk, _ in out[chunk] = probe.run(iterations: iterations) }
            }
            best = max(best, flops.reduce(0, +) / (monotonicSeconds() - t0))
        }
        return best
    }
}
