import Corpus
import Curriculum

/// Converts the prepared data's layouts into the planner's plain counts (training sequences only, so the
/// plan never names a held-out sequence).
public enum DataLayouts {
    public static func counts(_ manifest: Manifest) -> [LayoutCounts] {
        manifest.layouts.map { LayoutCounts(kind: $0.kind, tokensPerSequence: $0.tokensPerSequence, trainCounts: $0.trainCounts) }
    }
}
