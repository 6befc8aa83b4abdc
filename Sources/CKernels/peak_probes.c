/* Register-resident peak probes: each instruction in a loop of independent accumulators with no memory
   operands, so the loop runs at the core's issue rate for that instruction. Benchmarks divide a kernel's
   FLOP/s by the probe's FLOP/s measured in the same run. */
#include "CKernels.h"
#include <immintrin.h>

double dd_probe_fma_avx2(long iterations) __attribute__((target("avx2,fma")));
double dd_probe_fma_avx2(long iterations) {
    __m256 acc[10], x = _mm256_set1_ps(1.0000001f), y = _mm256_set1_ps(0.9999999f);
    for (int i = 0; i < 10; i++) acc[i] = _mm256_set1_ps((float)i);
    for (long it = 0; it < iterations; it++)
        for (int i = 0; i < 10; i++) { acc[i] = _mm256_fmadd_ps(acc[i], x, y); __asm__ volatile("" : "+x"(acc[i])); }
    volatile float sink = 0;
    for (int i = 0; i < 10; i++) sink += acc[i][0];
    (void)sink;
    return (double)iterations * 10 * 8 * 2;
}

double dd_probe_fma_avx512(long iterations) __attribute__((target("avx512f")));
double dd_probe_fma_avx512(long iterations) {
    __m512 acc[12], x = _mm512_set1_ps(1.0000001f), y = _mm512_set1_ps(0.9999999f);
    for (int i = 0; i < 12; i++) acc[i] = _mm512_set1_ps((float)i);
    for (long it = 0; it < iterations; it++)
        for (int i = 0; i < 12; i++) { acc[i] = _mm512_fmadd_ps(acc[i], x, y); __asm__ volatile("" : "+v"(acc[i])); }
    volatile float sink = 0;
    for (int i = 0; i < 12; i++) sink += acc[i][0];
    (void)sink;
    return (double)iterations * 12 * 16 * 2;
}

double dd_probe_dpbf16_avx512(long iterations) __attribute__((target("avx512f,avx512bf16")));
double dd_probe_dpbf16_avx512(long iterations) {
    __m512 acc[12];
    __m512i x = _mm512_set1_epi32(0x3f803f80), y = _mm512_set1_epi32(0x3f803f80); /* pairs of 1.0 */
    for (int i = 0; i < 12; i++) acc[i] = _mm512_setzero_ps();
    for (long it = 0; it < iterations; it++)
        for (int i = 0; i < 12; i++) {
            acc[i] = _mm512_dpbf16_ps(acc[i], (__m512bh)x, (__m512bh)y);
            __asm__ volatile("" : "+v"(acc[i]));
        }
    volatile float sink = 0;
    for (int i = 0; i < 12; i++) sink += acc[i][0];
    (void)sink;
    return (double)iterations * 12 * 16 * 2 * 2;
}

typedef struct {
    unsigned char palette, start_row, reserved[14];
    unsigned short colsb[16];
    unsigned char rows[16];
} __attribute__((packed, aligned(64))) probe_tile_config;

double dd_probe_tdpbf16_amx(long iterations) __attribute__((target("amx-tile,amx-bf16")));
double dd_probe_tdpbf16_amx(long iterations) {
    probe_tile_config cfg = {0};
    cfg.palette = 1;
    for (int t = 0; t < 8; t++) { cfg.rows[t] = 16; cfg.colsb[t] = 64; }
    _tile_loadconfig(&cfg);
    static const unsigned short ones[16 * 32] __attribute__((aligned(64))) = {0};
    _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
    _tile_loadd(4, ones, 64); _tile_loadd(5, ones, 64); _tile_loadd(6, ones, 64); _tile_loadd(7, ones, 64);
    for (long it = 0; it < iterations; it++) {
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        _tile_dpbf16ps(2, 5, 6);
        _tile_dpbf16ps(3, 5, 7);
    }
    _tile_release();
    return (double)iterations * 4 * 16 * 16 * 32 * 2;
}
