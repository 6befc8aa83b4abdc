import Testing
@testable import Trainer

/// GradientSync's bucket cut: every ready range above the held-back floats, cut from the top into buckets of at
/// most the bucket size, so no bucket spans two ranges (none waits for a range backward finishes later).
@Suite struct GradientBucketTests {
    @Test func bucketsFollowTheReadyRanges() {
        let cut = GradientSync.buckets(ranges: [100..<250, 40..<100, 0..<40], above: 30, most: 64)
        #expect(cut.map { [$0.0, $0.1] } == [[186, 64], [122, 64], [100, 22], [40, 60], [30, 10]])
        // One range: the plain top-down cut of the whole buffer.
        let plain = GradientSync.buckets(ranges: [0..<250], above: 30, most: 100)
        #expect(plain.map { [$0.0, $0.1] } == [[150, 100], [50, 100], [30, 20]])
    }
}
