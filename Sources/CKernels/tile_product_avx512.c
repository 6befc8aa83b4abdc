/* fp32 attention tile product on AVX-512: the variant of the Swift AVX2 `tileProduct` (6 × 16 block, 12 ymm
   accumulators) for CPUs with 32 zmm registers. The block is 6 rows × up to 4 panels of 16 columns:
   24 zmm accumulators, 4 B loads and one broadcast per depth step (29 of the 32 registers), so each step is
   24 FMAs for 4 loads and 6 broadcasts. D = 64 (the common head size) is exactly 4 panels, so the PV, dQ, dK
   and dV products cover a row's whole output in one block; QKᵀ walks its key panels 4 at a time. Ragged
   edges: rows past m re-read the last valid row and are not stored; a partial panel is stored with a mask. */
#include "CKernels.h"
#include <immintrin.h>
#include "store_rows.h"

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma")))

/* One block of MR = 6 rows × NP panels; NP is a literal at each call site so the loops unroll into registers. */
static inline __attribute__((always_inline)) AVX512 void block(
    const int NP, long k, float alpha, const float *a, long a_row, long a_depth, int rows,
    const float *b, long ldb, long b_panel, float *c, long ldc, int cols, int accumulate) {
    enum { MR = 6 };
    /* Accumulating into a C larger than the caches (the GEMM driver's later depth slices): start fetching its rows
       now so the misses overlap the block's arithmetic instead of stalling its epilogue. */
    if (accumulate)
        for (int r = 0; r < MR && r < rows; r++)
            for (int p = 0; p < NP; p++) _mm_prefetch((const char *)(c + r * ldc + 16 * p), _MM_HINT_T0);
    __m512 acc[MR][4];
    for (int r = 0; r < MR; r++)
        for (int p = 0; p < NP; p++) acc[r][p] = _mm512_setzero_ps();
    long off[MR];
    for (int r = 0; r < MR; r++) off[r] = (r < rows ? r : rows - 1) * a_row;
    const float *ap = a, *bp = b;
    for (long kk = 0; kk < k; kk++) {
        __m512 bv[4];
        for (int p = 0; p < NP; p++) bv[p] = _mm512_loadu_ps(bp + p * b_panel);
        for (int r = 0; r < MR; r++) {
            __m512 x = _mm512_set1_ps(ap[off[r]]);
            for (int p = 0; p < NP; p++) acc[r][p] = _mm512_fmadd_ps(x, bv[p], acc[r][p]);
        }
        ap += a_depth;
        bp += ldb;
    }
    __m512 scale = _mm512_set1_ps(alpha);
    for (int r = 0; r < MR && r < rows; r++) dd_store_row(c + r * ldc, acc[r], NP, cols, scale, accumulate);
}

AVX512 void dd_tile_product_f32_avx512(long m, long n, long k, float alpha, const float *a, long a_row, long a_depth,
                                       const float *b, long ldb, long b_panel, float *c, long ldc, int accumulate) {
    for (long i = 0; i < m; i += 6) {
        int rows = (int)(m - i < 6 ? m - i : 6);
        const float *ai = a + i * a_row;
        float *ci = c + i * ldc;
        long j = 0, p = 0;
        while (j < n) {
            long left = n - j;
            int cols = (int)(left < 64 ? left : 64);
            const float *bp = b + p * b_panel;
            /* Panels this block touches: every one holds at least one valid column. */
            switch ((cols + 15) / 16) {
            case 4: block(4, k, alpha, ai, a_row, a_depth, rows, bp, ldb, b_panel, ci + j, ldc, cols, accumulate); break;
            case 3: block(3, k, alpha, ai, a_row, a_depth, rows, bp, ldb, b_panel, ci + j, ldc, cols, accumulate); break;
            case 2: block(2, k, alpha, ai, a_row, a_depth, rows, bp, ldb, b_panel, ci + j, ldc, cols, accumulate); break;
            default: block(1, k, alpha, ai, a_row, a_depth, rows, bp, ldb, b_panel, ci + j, ldc, cols, accumulate); break;
            }
            j += 64;
            p += 4;
        }
    }
}
