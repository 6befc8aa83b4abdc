import Support
#if canImport(Glibc)
import Glibc
#endif

/// The rank-0 progress line: step/total, loss, tokens/s and ETA. In a terminal it rewrites one line in
/// place; in a log file it prints a full line every `every` steps, so logs stay readable.
public struct ProgressLine {
    private let total: Int
    private let every: Int
    private let terminal: Bool
    private let start: Double

    public init(totalSteps: Int, every: Int) {
        total = totalSteps
        self.every = max(1, every)
        terminal = isatty(2) != 0
        start = monotonicSeconds()
    }

    /// Shows step `step` (0-based) just finished, given steps done in this process and their tokens/s. `detail`
    /// (cycle, layout, length) follows the step count; `label` (a sweep's variant) leads the line.
    public func update(step: Int, stepsDoneHere: Int, loss: Double, tokensPerSecond: Double, lr: Double,
                       detail: String = "", label: String? = nil) {
        let done = step + 1
        let isLast = done == total
        guard terminal || done % every == 0 || isLast || stepsDoneHere == 1 else { return }
        let elapsed = monotonicSeconds() - start
        let eta = stepsDoneHere > 0 ? elapsed / Double(stepsDoneHere) * Double(total - done) : 0
        let text = (label.map { "[\($0)] " } ?? "") + "step \(done)/\(total)" + (detail.isEmpty ? "" : "  " + detail) + "  loss \(fixed(loss, 4))  lr \(scientific(lr))  \(Int(tokensPerSecond)) tok/s  ETA \(clock(eta))"
        if terminal {
            FileHandleStderr.write("\r\u{1B}[K" + text + (isLast ? "\n" : ""))
        } else {
            FileHandleStderr.write(text + "\n")
        }
    }

    /// Ends an in-place line before other output is printed.
    public func interrupt() { if terminal { FileHandleStderr.write("\n") } }

    private func clock(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 3600 ? "\(t / 3600)h\(String(format2(t / 60 % 60)))m" : "\(t / 60)m\(format2(t % 60))s"
    }

    private func format2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}

/// `x` in short scientific notation (e.g. 3.00e-03).
public func scientific(_ x: Double) -> String {
    guard x != 0, x.isFinite else { return x == 0 ? "0" : "\(x)" }
    var e = 0, m = abs(x)
    while m >= 10 { m /= 10; e += 1 }
    while m < 1 { m *= 10; e -= 1 }
    return (x < 0 ? "-" : "") + fixed(m, 2) + "e" + (e < 0 ? "-" : "+") + (abs(e) < 10 ? "0" : "") + String(abs(e))
}
