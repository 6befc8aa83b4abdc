import Support
@testable import Transformer

/// A tiny model configuration for tests.
func tinyConfig(layers: Int = 2, dim: Int = 16, heads: Int = 2, vocab: Int = 11, norm: ModelConfig.Norm = .rmsnorm,
                mlp: ModelConfig.MLP = .swiglu, qkNorm: Bool = false, tied: Bool = false, initStd: Double = 0.02) -> ModelConfig {
    var c = ModelConfig(vocab: vocab)
    c.layers = layers; c.dim = dim; c.heads = heads; c.norm = norm; c.mlp = mlp
    c.qkNorm = qkNorm; c.tiedEmbeddings = tied; c.initStd = initStd
    return c
}

/// Random sequences of the given lengths; about one token in six has no target (-1).
func randomBatch(lengths: [Int], vocab: Int, seed: UInt64, dropTargets: Bool = true) -> PackedBatch {
    var rng = Xoshiro256(seed: seed)
    var seqs: [(tokens: [Int32], targets: [Int32])] = []
    for l in lengths {
        let toks = (0..<l).map { _ in Int32(rng.nextInt(below: vocab)) }
        let tgts = (0..<l).map { _ -> Int32 in
            let t = Int32(rng.nextInt(below: vocab))
            return dropTargets && rng.nextInt(below: 6) == 0 ? -1 : t
        }
        seqs.append((toks, tgts))
    }
    return PackedBatch(sequences: seqs)
}

/// Copy of a buffer as an array.
func snapshot(_ b: UnsafeMutableBufferPointer<Float>) -> [Float] { Array(b) }

/// Largest absolute value.
func maxAbs<C: Collection>(_ a: C) -> Float where C.Element == Float { a.reduce(0) { max($0, abs($1)) } }

/// Largest absolute difference between two equal-length float sequences.
func maxAbsDiff<A: Collection, B: Collection>(_ a: A, _ b: B) -> Float where A.Element == Float, B.Element == Float {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// The Golden/ folder next to this file.
func goldenDirectory(_ file: String = #filePath) -> String {
    let dir = file.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
    return dir + "/Golden"
}
