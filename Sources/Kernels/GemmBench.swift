import CKernels
import Support

/// A matrix-product shape as the model runs it: C[m, n] = A·B with k the depth.
public struct GemmShape: Sendable {
    /// e.g. "qkv fwd", "mlp_down dW", "2048³".
    public let name: String
    public let m: Int, n: Int, k: Int
    /// Which product of a Linear [out, in] over T tokens: forward y = x·Wᵀ, input gradient dx = dy·W, weight
    /// gradient dW = dyᵀ·x; `square` for the plain 2048³ product.
    public let role: Role
    public enum Role: String, Sendable { case forward, inputGradient = "input_grad", weightGradient = "weight_grad", square }

    /// The three products of a Linear layer [out, in] over `tokens` tokens.
    public static func linear(_ name: String, inFeatures: Int, outFeatures: Int, tokens: Int) -> [GemmShape] {
        [GemmShape(name: name, m: tokens, n: outFeatures, k: inFeatures, role: .forward),
         GemmShape(name: name, m: tokens, n: inFeatures, k: outFeatures, role: .inputGradient),
         GemmShape(name: name, m: outFeatures, n: inFeatures, k: tokens, role: .weightGradient)]
    }

    public init(name: String, m: Int, n: Int, k: Int, role: Role) {
        self.name = name; self.m = m; self.n = n; self.k = k; self.role = role
    }

    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
}

/// A kernel that `bench gemm` times.
public enum GemmBenchKernel: Sendable {
    /// cblas_sgemm (fp32).
    case openblas
    /// The attention tile-product micro-kernel at this fp32 level (avx2 or avx512), B packed in 16-column panels
    /// once (as a weight would be), A read in place.
    case ownF32(KernelLevel)
    /// The fp32 GEMM driver the Linear layers run on at avx512 (`GemmF32`, one thread): operands in the layouts
    /// of the role (the forward's B = Wᵀ and the weight gradient's A = dyᵀ read transposed), packed inside the timing.
    case f32Gemm
    /// A bf16 kernel; weights packed once outside the timing, the weight gradient's x packed inside it (as the
    /// model does).
    case bf16(BF16Kernel)

    public var name: String {
        switch self {
        case .openblas: return "openblas-sgemm"
        case .ownF32(let level): return "own-f32-\(level.name)"
        case .f32Gemm: return "f32-avx512"
        case .bf16(let kernel): return "bf16-\(kernel.name)"
        }
    }
    public var precision: String { if case .bf16 = self { return "bf16" } else { return "fp32" } }

    /// The peak probe this kernel's instruction is compared with.
    public var probe: PeakProbe {
        switch self {
        case .openblas: return .fmaAVX2  // Debian's OpenBLAS runs its Haswell kernel where AVX-512 is untrusted
        case .ownF32(let level): return level >= .avx512 ? .fmaAVX512 : .fmaAVX2
        case .f32Gemm: return .fmaAVX512
        case .bf16(.avx512): return .dpbf16AVX512
        case .bf16(.amx): return .tdpbf16AMX
        }
    }
}

/// Register-resident loops of one instruction: the core's peak FLOP/s for it.
public enum PeakProbe: String, Sendable, CaseIterable {
    case fmaAVX2 = "vfmadd231ps-ymm", fmaAVX512 = "vfmadd231ps-zmm", dpbf16AVX512 = "vdpbf16ps-zmm", tdpbf16AMX = "tdpbf16ps"

    /// Runs the loop `iterations` times on the calling thread; returns the FLOPs it did.
    public func run(iterations: Int) -> Double {
        switch self {
        case .fmaAVX2: return dd_probe_fma_avx2(iterations)
        case .fmaAVX512: return dd_probe_fma_avx512(iterations)
        case .dpbf16AVX512: return dd_probe_dpbf16_avx512(iterations)
        case .tdpbf16AMX: return dd_probe_tdpbf16_amx(iterations)
        }
    }

    /// Iterations of one timed run: about 0.05 s on one core.
    public var iterations: Int { self == .tdpbf16AMX ? 200_000 : 2_000_000 }

    /// Whether this CPU can run it.
    public var available: Bool {
        let cpu = CPUFeatures.current
        switch self {
        case .fmaAVX2: return cpu.avx2FMA
        case .fmaAVX512: return cpu.avx512
        case .dpbf16AVX512: return cpu.avx512BF16
        case .tdpbf16AMX: return cpu.amxBF16 && cpu.amxPermitted
        }
    }
}

extension KernelBench {
    /// FLOP/s of the probe: best of `repeats` runs of about 0.05 s each (thread CPU time).
    public static func peak(_ probe: PeakProbe, repeats: Int = 5) -> Double {
        var best = 0.0
        for _ in 0..<max(1, repeats) {
            let t0 = threadSeconds()
            let flops = probe.run(iterations: probe.iterations)
            best = max(best, flops / (threadSeconds() - t0))
        }
        return best
    }

    /// FLOP/s of `kernel` on `shape`, best of `repeats` (thread CPU time), Gaussian operands.
    public static func gemm(_ shape: GemmShape, kernel: GemmBenchKernel, repeats: Int = 3) -> Double {
        let (m, n, k) = (shape.m, shape.n, shape.k)
        let a = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: k * n + 16)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        var rng = Xoshiro256(seed: 9)
        for i in 0..<(m * k) { a[i] = Float(rng.nextGaussian()) }
        for i in 0..<(k * n + 16) { b[i] = Float(rng.nextGaussian()) }
        c.initialize(repeating: 0, count: m * n)
        switch kernel {
        case .openblas:
            return best(shape.flops, repeats) { Matmul.gemm(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: c, ldc: n) }
        case .ownF32(let level):
            // B [k, n] row-major → 16-column panels (packPanels lays out rows of Bᵀ), once, as a weight would be.
            let bt = UnsafeMutablePointer<Float>.allocate(capacity: n * k)
            for kk in 0..<k { for j in 0..<n { bt[j * k + kk] = b[kk * n + j] } }
            let panels = UnsafeMutablePointer<Float>.allocate(capacity: packedPanelFloats(count: n, width: k))
            defer { panels.deallocate() }
            packPanels(bt, stride: k, count: n, width: k, into: panels)
            bt.deallocate()
            return best(shape.flops, repeats) {
                KernelDispatch.withLevel(level) {
                    tileProduct(m: m, n: n, k: k, alpha: 1, a: a, aRow: k, aDepth: 1, b: panels, ldb: 16, bPanel: 16 * k,
                                c: c, ldc: n, accumulate: false)
                }
            }
        case .f32Gemm:
            let (aRow, aDepth) = shape.role == .weightGradient ? (1, m) : (k, 1)
            let (bDepth, bColumn) = shape.role == .forward ? (1, k) : (n, 1)
            return best(shape.flops, repeats) {
                GemmF32.gemm(m: m, n: n, k: k, a: a, aRow: aRow, aDepth: aDepth, b: b, bDepth: bDepth, bColumn: bColumn,
                             c: c, ldc: n, accumulate: shape.role == .weightGradient)
            }
        case .bf16(let bf16) where shape.role == .weightGradient:
            // As the model runs it: A = dyᵀ read transposed ([k = tokens, m = out] storage), x packed per slice.
            let scratch = UnsafeMutablePointer<UInt16>.allocate(capacity: Linear.bf16ScratchCount(maxInFeatures: n))
            defer { scratch.deallocate() }
            return best(shape.flops, repeats) {
                Linear.weightGradient(x: b, dy: a, dw: c, tokens: k, inFeatures: n, outFeatures: m, kernel: bf16,
                                      scratch: scratch)
            }
        case .bf16(let bf16):
            let packed = PackedBF16Matrix(k: k, n: n)
            packed.pack(b, kStride: n, nStride: 1)
            return best(shape.flops, repeats) {
                BF16Gemm.gemm(bf16, m: m, n: n, k: k, a: a, aRow: k, aDepth: 1, packed: packed.storage.baseAddress!,
                              c: c, ldc: n, accumulate: false)
            }
        }
    }

    private static func best(_ flops: Double, _ repeats: Int, _ body: () -> Void) -> Double {
        var fastest = Double.infinity
        for _ in 0..<max(1, repeats) {
            let t0 = threadSeconds()
            body()
            fastest = min(fastest, threadSeconds() - t0)
        }
        return flops / fastest
    }
}
