import Corpus
import Curriculum

/// Converts the prepared data's layouts into the planner's plain counts (training sequences only, so the
/// plan never names a held-out sequence).
public enum DataLayouts {
    public static func counts(_ manifest: Manifest) -> [LayoutCounts] {
        manifest.layouts.map { info in
            let kind: Curriculum.LayoutKind
            switch info.kind {
            case let .bucket(k): kind = .bucket(k)
            case let .concat(l): kind = .concat(l)
            case let .packed(l): kind = .packed(l)
            }
            return LayoutCounts(kind: kind, tokensPerSequence: info.tokensPerSequence, trainedLength: info.trainedLength,
                                trainCounts: info.trainCounts)
        }
    }
}
