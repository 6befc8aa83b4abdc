/* fp32 → bf16 rounding on 16 lanes, shared by the packers and the softmax sweeps (not part of the Swift API). */
#ifndef DDTRAIN_BF16_ROUND_H
#define DDTRAIN_BF16_ROUND_H
#include <immintrin.h>

/* The bf16 of 16 floats (round to nearest even, NaN kept and quietened) in the high halves of 32-bit lanes, the low
   halves zero: the same rounding as the portable dd_bf16_round. */
static inline __attribute__((always_inline, target("avx512f"))) __m512i dd_round_high(__m512 x) {
    __m512i u = _mm512_castps_si512(x);
    __m512i bias = _mm512_add_epi32(_mm512_set1_epi32(0x7fff), _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1)));
    __m512i r = _mm512_add_epi32(u, bias);
    __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
    r = _mm512_mask_or_epi32(r, nan, u, _mm512_set1_epi32(0x00400000));
    return _mm512_and_si512(r, _mm512_set1_epi32((int)0xffff0000u));
}

/* The same 16 values as packed bf16. */
static inline __attribute__((always_inline, target("avx512f"))) __m256i dd_round_narrow(__m512 x) {
    return _mm512_cvtepi32_epi16(_mm512_srli_epi32(dd_round_high(x), 16));
}
#endif
