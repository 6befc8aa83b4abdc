/* The masked epilogue shared by the AVX-512 fp32 and bf16 register blocks (not part of the Swift API). */
#ifndef DDTRAIN_STORE_ROWS_H
#define DDTRAIN_STORE_ROWS_H
#include <immintrin.h>

/* row[0 ..< cols] = alpha·acc (or += with `accumulate`), acc holding `np` vectors of 16 columns; columns past
   `cols` are neither read nor written. */
static inline __attribute__((always_inline, target("avx512f"))) void dd_store_row(float *row, const __m512 *acc, int np,
                                                                                 int cols, __m512 alpha, int accumulate) {
    for (int p = 0; p < np; p++) {
        int left = cols - 16 * p;
        __mmask16 mask = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
        __m512 v = accumulate ? _mm512_fmadd_ps(acc[p], alpha, _mm512_maskz_loadu_ps(mask, row + 16 * p))
                              : _mm512_mul_ps(acc[p], alpha);
        _mm512_mask_storeu_ps(row + 16 * p, mask, v);
    }
}
#endif
