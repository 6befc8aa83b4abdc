/* Shared by the bf16 GEMM driver and its per-instruction-set block kernels (not part of the Swift API). */
#ifndef DDTRAIN_BF16_INTERNAL_H
#define DDTRAIN_BF16_INTERNAL_H
#include "CKernels.h"
#include <string.h>

/** C[mc, n] (+)= alpha·A·B for one packed block: A is rows of kc32 bf16 (padded with zero rows to the kernel's
    row granularity), B the packed panels at this depth block (panel p at b + p·b_panel, kpair rows 32 apart). */
typedef void (*dd_bf16_block_fn)(long mc, long n, long kc32, const uint16_t *a, const uint16_t *b, long b_panel,
                                 float alpha, float *c, long ldc, int accumulate);
void dd_bf16_block_avx512(long mc, long n, long kc32, const uint16_t *a, const uint16_t *b, long b_panel,
                          float alpha, float *c, long ldc, int accumulate);
void dd_bf16_block_amx(long mc, long n, long kc32, const uint16_t *a, const uint16_t *b, long b_panel,
                       float alpha, float *c, long ldc, int accumulate);

/** The AVX512-BF16 block with A packed in pairs over depth (dd_bf16_pack_a_pairs, `rows_padded` rows). */
void dd_bf16_block_avx512_pairs(long mc, long rows_padded, long n, long kc32, const uint16_t *a, const uint16_t *b,
                                long b_panel, float alpha, float *c, long ldc, int accumulate);

/** Packs A(i, kk) = a[i + kk·a_depth] (A's rows are the source's columns: a weight gradient's dyᵀ) in pairs over
    depth, element (i, kk) at (kk/2)·2·rows_padded + 2·i + kk%2: two source rows interleaved per depth pair, so
    the transpose costs no scattered stores. Zero past `rows` and past `kc` (up to kc32). Needs avx512f. */
void dd_bf16_pack_a_pairs(const float *a, long a_depth, long rows, long rows_padded, long kc, long kc32, uint16_t *dst);

static inline int32_t dd_load32(const void *p) { int32_t v; memcpy(&v, p, 4); return v; }
#endif
