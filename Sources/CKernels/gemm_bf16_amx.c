/* The AMX block kernel (TDPBF16PS on 16 × 16 fp32 tiles). Tiles 0–3 accumulate a 32 × 32 block of C (2 × 2),
   tiles 4–5 hold two 16-row A slices (16 rows × 32 bf16, loaded straight from the packed A block, whose rows
   are kc32 bf16 long) and tiles 6–7 two B slices (16 kpair rows × 16 columns, 64 bytes a row: exactly 16 rows
   of a packed panel). Each 32-deep step is 4 loads and 4 TDPBF16PS (65,536 FLOPs). The block is stored to an
   L1-resident 32 × 32 buffer and merged into C with alpha, accumulation and the ragged edges handled there, so
   the tiles never touch C outside [mc, n]. Needs amx_bf16 and dd_amx_request_permission() == 0. */
#include "bf16_internal.h"
#include <immintrin.h>

#define AMX __attribute__((target("amx-tile,amx-bf16,avx512f,avx512bw,avx512vl,avx2,fma")))

/* The 64-byte LDTILECFG operand, palette 1. */
typedef struct {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} __attribute__((packed, aligned(64))) tile_config;

AMX void dd_bf16_block_amx(long mc, long n, long kc32, const uint16_t *a, const uint16_t *b, long b_panel,
                           float alpha, float *c, long ldc, int accumulate) {
    tile_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.palette = 1;
    for (int t = 0; t < 8; t++) { cfg.rows[t] = 16; cfg.colsb[t] = 64; }
    _tile_loadconfig(&cfg);
    float out[32 * 32] __attribute__((aligned(64)));
    const long a_stride = kc32 * 2, panels = (n + 15) / 16;
    const __m512 scale = _mm512_set1_ps(alpha);
    for (long jp = 0; jp < panels; jp += 2) {
        const int two = jp + 1 < panels;
        const uint16_t *b0 = b + jp * b_panel, *b1 = b0 + b_panel;
        for (long i = 0; i < mc; i += 32) {
            const uint16_t *a0 = a + i * kc32, *a1 = a0 + 16 * kc32;
            _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
            for (long q = 0; q < kc32; q += 32) {
                _tile_loadd(4, a0 + q, a_stride);
                _tile_loadd(5, a1 + q, a_stride);
                _tile_loadd(6, b0 + q * 16, 64);
                _tile_dpbf16ps(0, 4, 6);
                _tile_dpbf16ps(2, 5, 6);
                if (two) {
                    _tile_loadd(7, b1 + q * 16, 64);
                    _tile_dpbf16ps(1, 4, 7);
                    _tile_dpbf16ps(3, 5, 7);
                }
            }
            _tile_stored(0, out, 128);
            _tile_stored(2, out + 16 * 32, 128);
            if (two) { _tile_stored(1, out + 16, 128); _tile_stored(3, out + 16 * 32 + 16, 128); }
            long rows = mc - i < 32 ? mc - i : 32;
            long cols = n - jp * 16 < 32 ? n - jp * 16 : 32;
            for (long r = 0; r < rows; r++) {
                float *row = c + (i + r) * ldc + jp * 16;
                for (long h = 0; h < cols; h += 16) {
                    long left = cols - h;
                    __mmask16 mask = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
                    __m512 v = _mm512_load_ps(out + r * 32 + h);
                    v = accumulate ? _mm512_fmadd_ps(v, scale, _mm512_maskz_loadu_ps(mask, row + h)) : _mm512_mul_ps(v, scale);
                    _mm512_mask_storeu_ps(row + h, mask, v);
                }
            }
        }
    }
    _tile_release();
}
