import Kernels
import Support

/// One Linear weight of the model: where it sits in the flat buffer, its shape, and in bf16 mode its packed copy.
struct LinearWeight {
    let offset: Int
    let inFeatures: Int, outFeatures: Int
    var bf16: BF16Weight?

    init(offset: Int, inFeatures: Int, outFeatures: Int) {
        self.offset = offset
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
    }
}

/// Every Linear weight of the model (fused where the model fuses them: q|k|v, gate|up).
struct LinearWeights {
    struct Layer { var qkv, o, up, down: LinearWeight }
    var layers: [Layer]
    var head: LinearWeight

    init(offsets: Offsets, config c: ModelConfig) {
        let C = c.dim, F = c.hidden, up = c.mlp == .swiglu ? 2 * F : F
        layers = offsets.layers.map { o in
            Layer(qkv: LinearWeight(offset: o.wq, inFeatures: C, outFeatures: 3 * C),
                  o: LinearWeight(offset: o.wo, inFeatures: C, outFeatures: C),
                  up: LinearWeight(offset: o.wGate, inFeatures: C, outFeatures: up),
                  down: LinearWeight(offset: o.wDown, inFeatures: F, outFeatures: C))
        }
        head = LinearWeight(offset: offsets.lmHead, inFeatures: C, outFeatures: c.vocab)
    }

    /// Every weight, in a fixed order.
    var all: [LinearWeight] { layers.flatMap { [$0.qkv, $0.o, $0.up, $0.down] } + [head] }

    /// Gives every weight its bf16 copy (allocated, not yet packed).
    mutating func allocateBF16() {
        func give(_ w: inout LinearWeight) { w.bf16 = BF16Weight(inFeatures: w.inFeatures, outFeatures: w.outFeatures) }
        for i in layers.indices {
            give(&layers[i].qkv); give(&layers[i].o); give(&layers[i].up); give(&layers[i].down)
        }
        give(&head)
    }
}

extension Model {
    /// Switches the matrix products to `precision`. bf16 needs a bf16 kernel on this CPU
    /// (`KernelDispatch.gemmBF16`); its packed weights are allocated here and refreshed by every pass.
    public func setPrecision(_ precision: Precision) throws {
        if precision == .bf16 {
            guard let kernel = KernelDispatch.gemmBF16 else {
                throw DDError("precision bf16 needs AVX512-BF16 or AMX-BF16, and this CPU (\(CPUFeatures.current.model)) "
                    + "at kernel level \(KernelDispatch.level.name) has neither (fix: set train.precision to \"fp32\" or \"auto\")")
            }
            bf16Kernel = kernel
            if linears.head.bf16 == nil {
                linears.allocateBF16()
                let widest = max(config.dim, config.hidden)
                bf16Scratch = .allocate(capacity: Linear.bf16ScratchCount(maxInFeatures: widest))
            }
        }
        self.precision = precision
    }

    /// Rounds and packs every Linear weight to bf16 (bf16 mode; once per pass, so a pass always sees the current
    /// parameters).
    func packWeights() {
        guard precision == .bf16 else { return }
        for w in linears.all { w.bf16!.pack(p(w.offset), pool: pool) }
    }

    /// y = x·Wᵀ (+ y with `accumulate`) in the model's precision.
    @inline(__always)
    func linearForward(_ w: LinearWeight, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, tokens: Int,
                       accumulate: Bool = false) {
        if precision == .bf16 {
            Linear.forward(x: x, w: w.bf16!, y: y, tokens: tokens, accumulate: accumulate, kernel: bf16Kernel, pool: pool)
        } else {
            Linear.forward(x: x, w: p(w.offset), y: y, tokens: tokens, inFeatures: w.inFeatures,
                           outFeatures: w.outFeatures, accumulate: accumulate, pool: pool)
        }
    }

    /// dx = dy·W (skipped when nil) and dW += dyᵀ·x in the model's precision.
    @inline(__always)
    func linearBackward(_ w: LinearWeight, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                        tokens: Int) {
        if precision == .bf16 {
            Linear.backward(x: x, w: w.bf16!, dy: dy, dx: dx, dw: g(w.offset), tokens: tokens, kernel: bf16Kernel,
                            scratch: bf16Scratch!.baseAddress!, pool: pool)
        } else {
            Linear.backward(x: x, w: p(w.offset), dy: dy, dx: dx, dw: g(w.offset), tokens: tokens,
                            inFeatures: w.inFeatures, outFeatures: w.outFeatures, pool: pool)
        }
    }
}
