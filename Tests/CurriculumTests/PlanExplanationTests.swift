import Foundation
import Testing
import Support
import TestSupport
@testable import Curriculum

/// What `ddtrain plan` explains in text: the curriculum's shares over a cycle, the step count, baselines.
@Suite(.serialized) struct PlanExplanationTests {
    func plan(_ sets: [String]) throws -> [String] {
        let res = try MPIRunner.ddtrain(["plan", "--world", "2", "--synthetic", "--sequences", "20000", "--buckets", "6,9"]
                                        + sets.flatMap { ["--set", $0] })
        try #require(res.status == 0, "\(res.stderr)")
        return res.stdout.split(separator: "\n").map(String.init)
    }

    /// The share of tokens (percent) of `length` in the first and last tenth of a cycle, from the share table.
    func shares(_ lines: [String], length: Int) throws -> (first: Double, last: Double) {
        let row = try #require(lines.first { $0.split(separator: " ").first == Substring(String(length)) }, "\(lines)")
        let cells = row.split(separator: " ").dropFirst(2).compactMap { Double($0) }
        try #require(cells.count == 10, "\(row)")
        return (cells[0], cells[9])
    }

    @Test func growAndShrinkMoveTheSharesOppositeWays() throws {
        let grow = try plan(["curriculum.schedule=grow_p2", "curriculum.tokens_per_step=4096"])
        #expect(grow[0].contains("schedule grow_p2, 8 cycles"), "\(grow[0])")
        let g = try shares(grow, length: 512)
        #expect(g.last > g.first, "Grow-P2: the longest length should gain share over the cycle: \(g)")
        let shrink = try plan(["curriculum.schedule=shrink_p2", "curriculum.tokens_per_step=4096"])
        let s = try shares(shrink, length: 512)
        #expect(s.first > s.last, "Shrink-P2: the longest length should lose share over the cycle: \(s)")
    }

    @Test func theStepCountIsExplainedByWholeStepsPerLength() throws {
        let lines = try plan(["curriculum.tokens_per_step=4096", "curriculum.total_tokens=1000000"])
        let why = try #require(lines.first { $0.hasPrefix("steps: total_tokens 1000000 ÷ 4096 tokens per step") }, "\(lines)")
        // Each length's tokens, rounded down to whole steps, must add up to the plan's step count.
        let pairs = why.split(separator: "(").last!.split(separator: ")").first!.split(separator: ",")
        let whole = pairs.map { Int($0.split(separator: "→").last!.trimmingCharacters(in: .whitespaces))! }
        let total = Int(lines[0].split(separator: ",").first { $0.contains("steps of") }!.split(separator: " ").first!)!
        #expect(whole.reduce(0, +) == total && why.hasSuffix("so \(total) steps"), "\(why)")
        #expect(total <= 1_000_000 / 4096)
    }
}
