import CKernels

/// The project's fp32 matrix product (Sources/CKernels/gemm_f32.c): the AVX-512 6 × 64 tile kernel under a
/// GotoBLAS-style driver whose items run on a `WorkerPool`.
///
/// The depth is summed in fixed 512-deep slices whatever the pool, so the result is bit-identical at every thread
/// count — unlike OpenBLAS's threaded sgemm, whose last bits change with its thread count.
public enum GemmF32 {
    /// C[m, n] = alpha·A·B (or C += alpha·A·B with `accumulate`), C row-major with leading dimension `ldc`.
    /// A(i, kk) = a[i·aRow + kk·aDepth], B(kk, j) = b[kk·bDepth + j·bColumn], so either may be read transposed.
    /// Writes exactly C[i < m, j < n]; the items (B packing, then blocks of C) are spread over `pool`.
    /// Needs kernel level avx512 (`KernelDispatch.linearF32Own`).
    public static func gemm(m: Int, n: Int, k: Int, alpha: Float = 1, a: UnsafePointer<Float>, aRow: Int, aDepth: Int,
                            b: UnsafePointer<Float>, bDepth: Int, bColumn: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                            accumulate: Bool, pool: WorkerPool = .serial) {
        let runner = pool.threads > 1 ? Unmanaged.passUnretained(pool).toOpaque() : nil
        dd_f32_gemm(m, n, k, alpha, a, aRow, aDepth, b, bDepth, bColumn, c, ldc, accumulate ? 1 : 0,
                    runner == nil ? nil : runOnPool, runner)
    }
}

/// The `dd_parallel_for` the driver calls: the items on the pool passed as `runner`.
private let runOnPool: dd_parallel_for = { runner, items, body, arg in
    let pool = Unmanaged<WorkerPool>.fromOpaque(runner!).takeUnretainedValue()
    pool.run(items: items) { item, _ in body!(arg, item) }
}
