#if canImport(Glibc)
import Glibc
#endif

/// Monotonic wall-clock seconds, for timing steps and benchmarks.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// User plus system CPU seconds this process has used, all threads together.
public func processCPUSeconds() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) * 1e-6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) * 1e-6
}

/// Peak resident set size of this process in bytes (VmHWM), or 0 where /proc is unavailable.
public func peakResidentBytes() -> Int { procStatusField("VmHWM:") }

private func procStatusField(_ name: String) -> Int {
    guard let f = fopen("/proc/self/status", "r") else { return 0 }
    defer { fclose(f) }
    var line = [CChar](repeating: 0, count: 512)
    while fgets(&line, Int32(line.count), f) != nil {
        let s = String(cString: line)
        if s.hasPrefix(name) {
            let kb = s.dropFirst(name.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Int($0.trimmingCharacters()) } ?? 0
            return kb * 1024
        }
    }
    return 0
}

extension Substring {
    fileprivate func trimmingCharacters() -> String { String(self.filter { !$0.isWhitespace }) }
}

/// Seconds since the Unix epoch (wall clock), for records compared across processes.
public func unixSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
