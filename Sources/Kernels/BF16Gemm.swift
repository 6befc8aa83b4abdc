import CKernels

/// The arithmetic of a step's matrix products.
///
/// In `bf16` every matrix product — each Linear's forward and both backward products, the LM head, attention's
/// QKᵀ, PV and backward products — takes bf16 operands and accumulates in fp32: weights are rounded to bf16 once
/// per pass, activations and gradients as they enter a product. Master weights, gradients, optimizer moments,
/// norms' statistics, softmax statistics, the loss and checkpoints stay fp32 (see docs/kernels.md).
public enum Precision: String, Sendable, CaseIterable {
    case fp32, bf16
}

/// The bf16 matrix-product kernels: bf16 operands, fp32 accumulation and output.
public enum BF16Kernel: Sendable {
    /// VDPBF16PS on zmm registers (AVX512-BF16): a 6 × 64 register block.
    case avx512
    /// TDPBF16PS on AMX tiles: a 32 × 32 block of four accumulator tiles.
    case amx

    public var name: String { self == .amx ? "amx" : "avx512-bf16" }
    var code: Int32 { self == .amx ? Int32(DD_BF16_AMX) : Int32(DD_BF16_AVX512) }
}

/// fp32 → bf16 rounding (round to nearest even) as the kernels do it.
public enum BF16 {
    /// The bf16 bits of `x`.
    @inline(__always) public static func bits(_ x: Float) -> UInt16 { dd_bf16_round(x) }
    /// `x` rounded to the nearest bf16, as a Float.
    @inline(__always) public static func rounded(_ x: Float) -> Float { Float(bitPattern: UInt32(bits(x)) << 16) }
    /// Rounds `count` floats in place.
    public static func round(_ x: UnsafeMutablePointer<Float>, count: Int) { dd_bf16_round_in_place(x, count) }
}

/// A matrix operand B [k, n] rounded to bf16 and laid out for the kernels (16-column panels, bf16 pairs of
/// consecutive depths interleaved: the VNNI layout both AMX and VDPBF16PS read). Packed once, used by many products.
public final class PackedBF16Matrix {
    public let k: Int, n: Int
    /// Packed bf16 elements (`BF16Gemm.packedCount(k:n:)`).
    public let storage: UnsafeMutableBufferPointer<UInt16>

    /// Room for a [k, n] operand; fill it with `pack`.
    public init(k: Int, n: Int) {
        self.k = k
        self.n = n
        storage = .allocate(capacity: max(1, BF16Gemm.packedCount(k: k, n: n)))
        storage.initialize(repeating: 0)
    }
    deinit { storage.deallocate() }

    /// Packs B(kk, j) = source[kk·kStride + j·nStride], its 16-column panels split over `pool`.
    public func pack(_ source: UnsafePointer<Float>, kStride: Int, nStride: Int, pool: WorkerPool = .serial) {
        BF16Gemm.pack(source, k: k, n: n, kStride: kStride, nStride: nStride, into: storage.baseAddress!, pool: pool)
    }
}

/// C = alpha·A·B with bf16 operands and fp32 accumulation.
public enum BF16Gemm {
    /// bf16 elements a packed [k, n] operand takes: ⌈n/16⌉ panels of 16 columns × k rounded up to 32.
    public static func packedCount(k: Int, n: Int) -> Int { Int(dd_bf16_packed_b_count(k, n)) }

    /// Packs B(kk, j) = source[kk·kStride + j·nStride] (k × n) into `packedCount(k:n:)` elements at `into`.
    @inline(__always)
    public static func pack(_ source: UnsafePointer<Float>, k: Int, n: Int, kStride: Int, nStride: Int,
                            into: UnsafeMutablePointer<UInt16>) {
        dd_bf16_pack_b(source, k, n, kStride, nStride, into)
    }

    /// `pack` with the 16-column panels split over `pool`: each panel is packed on its own (the same bits
    /// whichever worker packs it), so the packed operand does not depend on the thread count.
    public static func pack(_ source: UnsafePointer<Float>, k: Int, n: Int, kStride: Int, nStride: Int,
                            into: UnsafeMutablePointer<UInt16>, pool: WorkerPool) {
        let panels = (n + 15) / 16, panelCount = packedCount(k: k, n: 16)
        pool.ranges(count: panels) { range in
            let first = 16 * range.lowerBound, columns = min(n, 16 * range.upperBound) - first
            pack(source + first * nStride, k: k, n: columns, kStride: kStride, nStride: nStride,
                 into: into + range.lowerBound * panelCount)
        }
    }

    /// C[m, n] = alpha·A·B (or += with `accumulate`), A(i, kk) = a[i·aRow + kk·aDepth] rounded to bf16 on the
    /// way in, B packed by `PackedBF16Matrix.pack` (`packed` points at its first element, for these k and n).
    /// Writes exactly C[i < m, j < n]. The kernel must be available (`KernelDispatch.gemmBF16`).
    @inline(__always)
    public static func gemm(_ kernel: BF16Kernel, m: Int, n: Int, k: Int, alpha: Float = 1, a: UnsafePointer<Float>,
                            aRow: Int, aDepth: Int, packed: UnsafePointer<UInt16>, c: UnsafeMutablePointer<Float>,
                            ldc: Int, accumulate: Bool) {
        dd_bf16_gemm(kernel.code, m, n, k, alpha, a, aRow, aDepth, packed, c, ldc, accumulate ? 1 : 0)
    }

    /// `gemm` with the rows of C split over `pool` (blocks of 96 rows). Each element of C is computed with the same
    /// depth slices and the same order whichever worker computes its row, so the result is the one-thread result.
    public static func gemm(_ kernel: BF16Kernel, m: Int, n: Int, k: Int, alpha: Float = 1, a: UnsafePointer<Float>,
                            aRow: Int, aDepth: Int, packed: UnsafePointer<UInt16>, c: UnsafeMutablePointer<Float>,
                            ldc: Int, accumulate: Bool, pool: WorkerPool) {
        // Blocks of 96 rows handed out as workers come free (a descheduled worker delays one block, not half the
        // product); 96 is a multiple of both kernels' row granularity, 6 and 32.
        let block = pool.threads == 1 ? max(m, 1) : 96
        pool.run(items: (m + block - 1) / block) { item, _ in
            let first = item * block, rows = min(block, m - first)
            gemm(kernel, m: rows, n: n, k: k, alpha: alpha, a: a + first * aRow, aRow: aRow,
                 aDepth: aDepth, packed: packed, c: c + first * ldc, ldc: ldc, accumulate: accumulate)
        }
    }
}
