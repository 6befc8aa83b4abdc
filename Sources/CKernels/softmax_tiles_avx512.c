/* The softmax sweeps of attention tiles on AVX-512: the variants of the Swift `onlineSoftmaxTile` and
   `probabilityAndScoreGradientTile` (AttentionTiles.swift) for 16-lane registers, with the same base-2 exponential
   (the degree-6 polynomial of `vexp2`) and masked tails instead of scalar loops. With `bf16_out`, each row's result
   is also written rounded to bf16 (the A operand of the next tile product in bf16 attention), saving a pass. */
#include "CKernels.h"
#include <immintrin.h>
#include <math.h>
#include "bf16_round.h"

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma")))
static const float log2e = 1.44269504f;

/* 2^x for x ≤ 127; exactly 0 at or below −127; NaN stays NaN (see `vexp2`). */
static inline __attribute__((always_inline)) AVX512 __m512 exp2_16(__m512 x) {
    const __m512 magic = _mm512_set1_ps(12582912.0f);
    __m512 xc = _mm512_max_ps(_mm512_set1_ps(-127.0f), x); /* a NaN x is passed through */
    __m512 t = _mm512_add_ps(xc, magic);
    __m512 f = _mm512_sub_ps(xc, _mm512_sub_ps(t, magic));
    __m512 p = _mm512_set1_ps(1.5345812e-4f);
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.3399931e-3f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.6184891e-3f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.5503286e-2f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.4022646e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.9314718e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
    __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_castps_si512(t), _mm512_set1_epi32(127 - 0x4B400000)), 23);
    return _mm512_mul_ps(p, _mm512_castsi512_ps(bits));
}

static inline __attribute__((always_inline)) __mmask16 lanes(long left) {
    return left >= 16 ? (__mmask16)0xffff : left <= 0 ? 0 : (__mmask16)((1u << left) - 1);
}

/* Row r's keys visible from query r0 + r in a tile starting at key c0 (0 … cols). */
static inline long valid_prefix(long row, long c0, long cols) {
    long v = row - c0 + 1;
    return v < 0 ? 0 : v > cols ? cols : v;
}

/* Zeroes [from, cols) of a float row and, when given, of its bf16 copy (up to cols rounded up to even). */
static inline __attribute__((always_inline)) AVX512 void clear_tail(float *row, uint16_t *bf, long from, long cols) {
    for (long c = from; c < cols; c += 16) _mm512_mask_storeu_ps(row + c, lanes(cols - c), _mm512_setzero_ps());
    if (bf)
        for (long c = from; c < (cols + 1) / 2 * 2; c++) bf[c] = 0;
}

AVX512 void dd_online_softmax_tile_avx512(float *s, long ld, long rows, long cols, long r0, long c0, float *m, float *l,
                                          float *o, long d, uint16_t *bf16_out, long ldb) {
    const __m512 scale2 = _mm512_set1_ps(log2e), neg_inf = _mm512_set1_ps(-INFINITY);
    for (long r = 0; r < rows; r++) {
        float *row = s + r * ld;
        uint16_t *bf = bf16_out ? bf16_out + r * ldb : 0;
        long valid = valid_prefix(r0 + r, c0, cols);
        __m512 mv = neg_inf;
        for (long c = 0; c < valid; c += 16) mv = _mm512_max_ps(mv, _mm512_mask_loadu_ps(neg_inf, lanes(valid - c), row + c));
        float mx = _mm512_reduce_max_ps(mv);
        float m_old = m[r], m_new = fmaxf(m_old, mx * log2e);
        __m512 shift = _mm512_set1_ps(-m_new), acc = _mm512_setzero_ps();
        for (long c = 0; c < valid; c += 16) {
            __mmask16 k = lanes(valid - c);
            __m512 p = _mm512_maskz_mov_ps(k, exp2_16(_mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, row + c), scale2, shift)));
            _mm512_mask_storeu_ps(row + c, k, p);
            if (bf) _mm256_mask_storeu_epi16(bf + c, k, dd_round_narrow(p));
            acc = _mm512_add_ps(acc, p);
        }
        clear_tail(row, bf, valid, cols);
        /* The first tile has m_old = −inf: alpha is 0 and the (zeroed) accumulator stays 0. */
        float alpha = m_old == -INFINITY ? 0.0f : _mm512_cvtss_f32(exp2_16(_mm512_set1_ps(m_old - m_new)));
        l[r] = l[r] * alpha + _mm512_reduce_add_ps(acc);
        m[r] = m_new;
        if (alpha != 1.0f) {
            float *orow = o + r * d;
            for (long c = 0; c < d; c += 16) {
                __mmask16 k = lanes(d - c);
                _mm512_mask_storeu_ps(orow + c, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, orow + c), _mm512_set1_ps(alpha)));
            }
        }
    }
}

AVX512 void dd_probability_score_gradient_tile_avx512(float *s, float *dp, long ld, long rows, long cols, long r0,
                                                      long c0, const float *lse, const float *delta, long stride,
                                                      uint16_t *bf16_out, long ldb) {
    const __m512 scale2 = _mm512_set1_ps(log2e);
    for (long r = 0; r < rows; r++) {
        float *srow = s + r * ld, *drow = dp + r * ld;
        uint16_t *bf = bf16_out ? bf16_out + r * ldb : 0;
        long valid = valid_prefix(r0 + r, c0, cols);
        __m512 shift = _mm512_set1_ps(-lse[r * stride] * log2e), dr = _mm512_set1_ps(delta[r * stride]);
        for (long c = 0; c < valid; c += 16) {
            __mmask16 k = lanes(valid - c);
            __m512 p = exp2_16(_mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, srow + c), scale2, shift));
            __m512 ds = _mm512_mul_ps(p, _mm512_sub_ps(_mm512_maskz_loadu_ps(k, drow + c), dr));
            _mm512_mask_storeu_ps(srow + c, k, p);
            _mm512_mask_storeu_ps(drow + c, k, ds);
            if (bf) _mm256_mask_storeu_epi16(bf + c, k, dd_round_narrow(ds));
        }
        clear_tail(srow, 0, valid, cols);
        clear_tail(drow, bf, valid, cols);
    }
}
