/* The bf16 GEMM driver shared by the AVX512-BF16 and AMX kernels: blocks the depth into KC-deep slices and the
   rows into MC-row blocks (GotoBLAS-style), rounds and packs each A block to bf16 in a per-thread buffer
   (L2-sized), and hands (A block, B panels at that depth) to the kernel's block function. B arrives packed
   once by the caller (dd_bf16_pack_b): weights once per step, activations once per product. */
#include "bf16_internal.h"
#include <stdlib.h>

/* Depth per slice (a multiple of 32, the AMX tile depth) and rows per A block (a multiple of both kernels' row
   granularity, 6 and 32): a 192 × 256 bf16 A block is 96 KiB, a 64-column B slice 32 KiB. */
enum { KC = 512, MC = 192 };

static _Thread_local uint16_t *a_block;

void dd_bf16_gemm(int kernel, long m, long n, long k, float alpha, const float *a, long a_row, long a_depth,
                  const uint16_t *b_packed, float *c, long ldc, int accumulate) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        if (!accumulate)
            for (long i = 0; i < m; i++) memset(c + i * ldc, 0, (size_t)n * sizeof(float));
        return;
    }
    if (!a_block) {
        a_block = aligned_alloc(64, (size_t)MC * KC * sizeof(uint16_t));
        if (!a_block) abort();
    }
    dd_bf16_block_fn block = kernel == DD_BF16_AMX ? dd_bf16_block_amx : dd_bf16_block_avx512;
    long granularity = kernel == DD_BF16_AMX ? 32 : 6;
    long k32 = (k + 31) / 32 * 32, b_panel = 16 * k32;
    for (long pc = 0; pc < k32; pc += KC) {
        long kc32 = k32 - pc < KC ? k32 - pc : KC;
        long kc = k - pc < kc32 ? k - pc : kc32;
        int add = accumulate || pc > 0;
        for (long ic = 0; ic < m; ic += MC) {
            long mc = m - ic < MC ? m - ic : MC;
            long padded = (mc + granularity - 1) / granularity * granularity;
            const float *a_ic = a + ic * a_row + pc * a_depth;
            if (kernel == DD_BF16_AVX512 && a_row == 1 && a_depth != 1) {
                /* A read transposed (a weight gradient's dyᵀ): packed in depth pairs, no scattered stores. */
                dd_bf16_pack_a_pairs(a_ic, a_depth, mc, padded, kc, kc32, a_block);
                dd_bf16_block_avx512_pairs(mc, padded, n, kc32, a_block, b_packed + pc * 16, b_panel, alpha,
                                           c + ic * ldc, ldc, add);
            } else {
                dd_bf16_pack_a(a_ic, a_row, a_depth, mc, padded, kc, kc32, a_block);
                block(mc, n, kc32, a_block, b_packed + pc * 16, b_panel, alpha, c + ic * ldc, ldc, add);
            }
        }
    }
}
