/* Shared by the bf16 GEMM driver and its per-instruction-set block kernels (not part of the Swift API). */
#ifndef DDTRAIN_BF16_INTERNAL_H
#define DDTRAIN_BF16_INTERNAL_H
#include "CKernels.h"
#include <string.h>

/** Packs rows × kc of A(i, kk) = a[i·a_row + kk·a_depth] as bf16 rows of kc32 elements (row-major, zero past
    kc), padded with zero rows up to rows_padded. Needs avx512f. */
void dd_bf16_pack_a(const float *a, long a_row, long a_depth, long rows, long rows_padded, long kc, long kc32,
                    uint16_t *dst);

/** C[mc, n] (+)= alpha·A·B for one packed block: A is rows of kc32 bf16 (padded with zero rows to the kernel's
    row granularity), B the packed panels at this depth block (panel p at b + p·b_panel, kpair rows 32 apart). */
typedef void (*dd_bf16_block_fn)(long mc, long n, long kc32, const uint16_t *a, const uint16_t *b, long b_panel,
                                 float alpha, float *c, long ldc, int accumulate);
void dd_bf16_block_avx512(long mc, long n, long kc32, const uint16_t *a, const uint16_t *b, long b_panel,
                          float alpha, float *c, long ldc, int accumulate);
void dd_bf16_block_amx(long mc, long n, long kc32, const uint16_t *a, const uint16_t *b, long b_panel,
                       float alpha, float *c, long ldc, int accumulate);

static inline int32_t dd_load32(const void *p) { int32_t v; memcpy(&v, p, 4); return v; }
#endif
