/* fp32 → bf16 rounding and the operand packing shared by the bf16 GEMM kernels (AVX512-BF16 and AMX). */
#include "bf16_internal.h"
#include <immintrin.h>
#include "bf16_round.h"

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma")))

uint16_t dd_bf16_round(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40); /* NaN: keep it, quiet */
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1)) >> 16);
}

void dd_bf16_round_in_place(float *x, long count) {
    for (long i = 0; i < count; i++) {
        uint32_t u = (uint32_t)dd_bf16_round(x[i]) << 16;
        memcpy(&x[i], &u, 4);
    }
}

size_t dd_bf16_packed_b_count(long k, long n) {
    long k32 = (k + 31) / 32 * 32, panels = (n + 15) / 16;
    return (size_t)(panels * 16 * k32);
}

/* Rows kk and kk+1 (contiguous columns) of one panel: 16 column pairs as 16 32-bit lanes. */
static AVX512 void pack_b_rows(const float *src, long k, long n, long k_stride, uint16_t *dst) {
    long k32 = (k + 31) / 32 * 32;
    for (long p = 0; p < (n + 15) / 16; p++) {
        long cols = n - 16 * p < 16 ? n - 16 * p : 16;
        __mmask16 mask = cols == 16 ? (__mmask16)0xffff : (__mmask16)((1u << cols) - 1);
        uint16_t *panel = dst + p * 16 * k32;
        for (long kk = 0; kk < k32; kk += 2) {
            __m512 r0 = kk < k ? _mm512_maskz_loadu_ps(mask, src + kk * k_stride + 16 * p) : _mm512_setzero_ps();
            __m512 r1 = kk + 1 < k ? _mm512_maskz_loadu_ps(mask, src + (kk + 1) * k_stride + 16 * p) : _mm512_setzero_ps();
            __m512i pair = _mm512_or_si512(_mm512_srli_epi32(dd_round_high(r0), 16), dd_round_high(r1));
            _mm512_storeu_si512((void *)(panel + kk * 16), pair);
        }
    }
}

/* Columns of B are contiguous (k_stride 1: a weight W [out, in] read as Wᵀ, or K and V packed over the head
   dimension): 32 consecutive depths of one column are rounded into 16 pairs and scattered down the panel, one pair
   row (64 bytes) apart. */
static AVX512 void pack_b_columns(const float *src, long k, long n, long n_stride, uint16_t *dst) {
    long k32 = (k + 31) / 32 * 32, panels = (n + 15) / 16;
    const __m512i rows = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                            _mm512_set1_epi32(16));
    for (long p = 0; p < panels; p++) {
        uint16_t *panel = dst + p * 16 * k32;
        for (long jj = 0; jj < 16; jj++) {
            long j = 16 * p + jj;
            const float *col = src + j * n_stride;
            for (long kk = 0; kk < k32; kk += 32) {
                __m512i pairs = _mm512_setzero_si512();
                if (j < n) {
                    __m512 lo = _mm512_maskz_loadu_ps(kk < k ? (k - kk >= 16 ? 0xffff : (__mmask16)((1u << (k - kk)) - 1)) : 0, col + kk);
                    long h = kk + 16;
                    __m512 hi = _mm512_maskz_loadu_ps(h < k ? (k - h >= 16 ? 0xffff : (__mmask16)((1u << (k - h)) - 1)) : 0, col + h);
                    __m256i a = dd_round_narrow(lo);
                    __m256i b = dd_round_narrow(hi);
                    pairs = _mm512_inserti64x4(_mm512_castsi256_si512(a), b, 1);
                }
                _mm512_i32scatter_epi32((void *)(panel + (kk / 2) * 32 + jj * 2), rows, pairs, 4);
            }
        }
    }
}

void dd_bf16_pack_b(const float *src, long k, long n, long k_stride, long n_stride, uint16_t *dst) {
    if (n_stride == 1 && __builtin_cpu_supports("avx512bw")) { pack_b_rows(src, k, n, k_stride, dst); return; }
    if (k_stride == 1 && __builtin_cpu_supports("avx512bw")) { pack_b_columns(src, k, n, n_stride, dst); return; }
    long k32 = (k + 31) / 32 * 32, panels = (n + 15) / 16;
    for (long p = 0; p < panels; p++) {
        uint16_t *panel = dst + p * 16 * k32;
        for (long jj = 0; jj < 16; jj++) {
            long j = 16 * p + jj;
            for (long kk = 0; kk < k32; kk++) {
                uint16_t v = (j < n && kk < k) ? dd_bf16_round(src[kk * k_stride + j * n_stride]) : 0;
                panel[(kk / 2) * 32 + jj * 2 + (kk & 1)] = v;
            }
        }
    }
}

AVX512 void dd_bf16_pack_a(const float *a, long a_row, long a_depth, long rows, long rows_padded, long kc, long kc32,
                           uint16_t *dst) {
    if (a_depth == 1) {
        /* Row-major: 16 depths at a time, rounded and narrowed to 16 bits. */
        for (long i = 0; i < rows; i++) {
            const float *src = a + i * a_row;
            uint16_t *out = dst + i * kc32;
            for (long kk = 0; kk < kc32; kk += 16) {
                long left = kc - kk;
                __mmask16 mask = left >= 16 ? (__mmask16)0xffff : left <= 0 ? 0 : (__mmask16)((1u << left) - 1);
                _mm256_storeu_si256((__m256i *)(out + kk), dd_round_narrow(_mm512_maskz_loadu_ps(mask, src + kk)));
            }
        }
    } else if (a_row == 1) {
        /* Transposed (A's rows are the source's columns): 16 rows at a time per depth, scattered to 16 rows. */
        for (long i0 = 0; i0 < rows; i0 += 16) {
            long left = rows - i0;
            __mmask16 mask = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
            long count = left < 16 ? left : 16;
            uint16_t tmp[16];
            for (long kk = 0; kk < kc; kk++) {
                _mm256_storeu_si256((__m256i *)tmp, dd_round_narrow(_mm512_maskz_loadu_ps(mask, a + kk * a_depth + i0)));
                for (long ii = 0; ii < count; ii++) dst[(i0 + ii) * kc32 + kk] = tmp[ii];
            }
            for (long ii = 0; ii < count; ii++)
                memset(dst + (i0 + ii) * kc32 + kc, 0, (size_t)(kc32 - kc) * 2);
        }
    } else {
        for (long i = 0; i < rows; i++)
            for (long kk = 0; kk < kc32; kk++)
                dst[i * kc32 + kk] = kk < kc ? dd_bf16_round(a[i * a_row + kk * a_depth]) : 0;
    }
    if (rows_padded > rows) memset(dst + rows * kc32, 0, (size_t)((rows_padded - rows) * kc32) * 2);
}

AVX512 void dd_bf16_convert_rows(const float *src, long lds, long rows, long cols, long padded_cols, uint16_t *dst,
                                 long ldd) {
    for (long i = 0; i < rows; i++) {
        const float *in = src + i * lds;
        uint16_t *out = dst + i * ldd;
        long j = 0;
        for (; j + 16 <= cols; j += 16)
            _mm256_storeu_si256((__m256i *)(out + j),
                                dd_round_narrow(_mm512_loadu_ps(in + j)));
        if (j < cols) {
            __mmask16 mask = (__mmask16)((1u << (cols - j)) - 1);
            __m256i r = dd_round_narrow(_mm512_maskz_loadu_ps(mask, in + j));
            _mm256_mask_storeu_epi16(out + j, mask, r);
            j = cols;
        }
        for (; j < padded_cols; j++) out[j] = 0;
    }
}

AVX512 void dd_bf16_pack_a_pairs(const float *a, long a_depth, long rows, long rows_padded, long kc, long kc32,
                                 uint16_t *dst) {
    for (long i0 = 0; i0 < rows_padded; i0 += 16) {
        long valid = rows - i0, room = rows_padded - i0;
        __mmask16 load = valid >= 16 ? (__mmask16)0xffff : valid <= 0 ? 0 : (__mmask16)((1u << valid) - 1);
        __mmask16 store = room >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << room) - 1);
        for (long kk = 0; kk < kc32; kk += 2) {
            __m512 r0 = kk < kc ? _mm512_maskz_loadu_ps(load, a + kk * a_depth + i0) : _mm512_setzero_ps();
            __m512 r1 = kk + 1 < kc ? _mm512_maskz_loadu_ps(load, a + (kk + 1) * a_depth + i0) : _mm512_setzero_ps();
            __m512i pair = _mm512_or_si512(_mm512_srli_epi32(dd_round_high(r0), 16), dd_round_high(r1));
            _mm512_mask_storeu_epi32(dst + (kk / 2) * 2 * rows_padded + 2 * i0, store, pair);
        }
    }
}
