/* The AVX512-BF16 block kernel (VDPBF16PS: 16 fp32 lanes, each += the dot product of a bf16 pair). The register
   block is 6 rows × 4 panels of 16 columns: 24 zmm accumulators, 4 B loads (one kpair row of each panel) and 6
   broadcast A pairs per depth pair, 24 VDPBF16PS (1,536 FLOPs). Panels are walked 4 at a time (outer) so the
   64 columns × KC of B stay in L1 while the rows of the A block stream from L2. */
#include "bf16_internal.h"
#include <immintrin.h>
#include "store_rows.h"

#define BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16,avx2,fma")))

static inline __attribute__((always_inline)) BF16 void micro(
    const int NP, long kc32, const uint16_t *a, long lda, long pair_stride, const uint16_t *b, long b_panel, float alpha, float *c, long ldc,
    int rows, int cols, int accumulate) {
    enum { MR = 6 };
    /* C is touched once per depth slice and is usually far larger than the caches: start fetching its rows now
       so the misses overlap the block's arithmetic instead of stalling its epilogue. */
    for (int r = 0; r < MR && r < rows; r++)
        for (int p = 0; p < NP; p++) _mm_prefetch((const char *)(c + r * ldc + 16 * p), _MM_HINT_T0);
    __m512 acc[MR][4];
    for (int r = 0; r < MR; r++)
        for (int p = 0; p < NP; p++) acc[r][p] = _mm512_setzero_ps();
    /* Rows past `rows` re-read the last valid row (never stored), so A need not be padded to 6 rows. */
    const uint16_t *ar[MR];
    for (int r = 0; r < MR; r++) ar[r] = a + (r < rows ? r : rows - 1) * lda;
    for (long q = 0; q < kc32 / 2; q++) {
        __m512i bv[4];
        for (int p = 0; p < NP; p++) bv[p] = _mm512_loadu_si512((const void *)(b + p * b_panel + q * 32));
        for (int r = 0; r < MR; r++) {
            __m512i x = _mm512_set1_epi32(dd_load32(ar[r] + pair_stride * q));
            for (int p = 0; p < NP; p++)
                acc[r][p] = _mm512_dpbf16_ps(acc[r][p], (__m512bh)x, (__m512bh)bv[p]);
        }
    }
    __m512 scale = _mm512_set1_ps(alpha);
    for (int r = 0; r < MR && r < rows; r++) dd_store_row(c + r * ldc, acc[r], NP, cols, scale, accumulate);
}

/* C[m, n] (+)= alpha·A·B over `depth` (even) with B VNNI panels `b_panel` apart and A's pair (i, q) at
   a + i·lda + q·pair_stride: row-major A has pair_stride 2, A packed in pairs over depth (dd_bf16_pack_a_pairs)
   has lda 2 and pair_stride 2·rows. */
static inline __attribute__((always_inline)) BF16 void blocks(long m, long n, long depth, const uint16_t *a, long lda,
                                                              long pair_stride,
                                                              const uint16_t *b, long b_panel, float alpha, float *c,
                                                              long ldc, int accumulate) {
    for (long j = 0; j < n; j += 64) {
        int cols = (int)(n - j < 64 ? n - j : 64);
        const uint16_t *bj = b + (j / 16) * b_panel;
        for (long i = 0; i < m; i += 6) {
            int rows = (int)(m - i < 6 ? m - i : 6);
            const uint16_t *ai = a + i * lda;
            float *ci = c + i * ldc + j;
            switch ((cols + 15) / 16) {
            case 4: micro(4, depth, ai, lda, pair_stride, bj, b_panel, alpha, ci, ldc, rows, cols, accumulate); break;
            case 3: micro(3, depth, ai, lda, pair_stride, bj, b_panel, alpha, ci, ldc, rows, cols, accumulate); break;
            case 2: micro(2, depth, ai, lda, pair_stride, bj, b_panel, alpha, ci, ldc, rows, cols, accumulate); break;
            default: micro(1, depth, ai, lda, pair_stride, bj, b_panel, alpha, ci, ldc, rows, cols, accumulate); break;
            }
        }
    }
}

BF16 void dd_bf16_block_avx512(long mc, long n, long kc32, const uint16_t *a, const uint16_t *b, long b_panel,
                               float alpha, float *c, long ldc, int accumulate) {
    blocks(mc, n, kc32, a, kc32, 2, b, b_panel, alpha, c, ldc, accumulate);
}

BF16 void dd_bf16_block_avx512_pairs(long mc, long rows_padded, long n, long kc32, const uint16_t *a, const uint16_t *b,
                                     long b_panel, float alpha, float *c, long ldc, int accumulate) {
    blocks(mc, n, kc32, a, 2, 2 * rows_padded, b, b_panel, alpha, c, ldc, accumulate);
}

BF16 void dd_bf16_tile_product(long m, long n, long k, float alpha, const uint16_t *a, long lda, const uint16_t *b,
                               long b_panel, float *c, long ldc, int accumulate) {
    if (m <= 0 || n <= 0) return;
    blocks(m, n, (k + 1) / 2 * 2, a, lda, 2, b, b_panel, alpha, c, ldc, accumulate);
}
