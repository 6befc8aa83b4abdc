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

static inline int32_t dd_load32(const void *p) { int32_t v; memcpy(&v, p, 4); return v; }
#endif
