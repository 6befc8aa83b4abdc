/* The fp32 GEMM driver for the Linear layers, on the AVX-512 tile kernel (dd_tile_product_f32_avx512), split over
   a caller's thread pool. GotoBLAS-style blocking: the depth in KC-deep slices, the columns in NC-wide blocks. A
   stage is a column block × up to SLICES slices: its B is packed once into contiguous 16-column panels (work items
   of a few panels, all the stage's slices), then the output block is cut into MC × NG items, each running the
   stage's slices in order: pack its A rows for the slice into a per-thread buffer, run the tile kernel over the
   slice's panels 64 columns at a time (those KC × 64 of B stay close while the item's 6-row strips pass over them).
   Two pool jobs per stage: several slices a stage keep the jobs few (each job waits for every worker).

   Deterministic at every thread count: KC is fixed, so every element of C is the tile kernel's in-register sum
   over each slice (depth in order, from zero), added to C slice after slice in order; which item or thread computes
   an element, and how the rows and columns are cut, changes nothing in its arithmetic. */
#include "CKernels.h"
#include <stdlib.h>
#include <string.h>

/* Depth per slice (fixed: it sets the summation order); columns per packed B block (KC × NC floats = 2 MiB, the
   submitting thread's buffer per slice, SLICES of them); rows and columns per compute item (the MC × KC A block is
   96 KiB); panels per packing item. Chosen on Zen 5 with `ddtrain bench gemm` (KC 256 → 512 and the 64-column
   walk: 1.5 → 1.9× sgemm). */
enum { KC = 512, SLICES = 4, NC = 1024, MC = 48, NG = 512, PACK_PANELS = 4 };

static _Thread_local float *b_buffer, *a_buffer;

/* One stage of a product (a column block × up to SLICES depth slices), shared by the items that compute it. */
typedef struct {
    long m, n;
    float alpha;
    const float *a;
    long a_row, a_depth;
    const float *b;
    long b_depth, b_col;
    float *c;
    long ldc;
    long k;
    int accumulate;
    long jc, nc;    /* the column block */
    long pc, kd;    /* the stage's depth: slices pc + q·KC for q < ⌈kd / KC⌉ */
    float *panels;  /* the packed B: slice q at q·KC·NC, its panel p at + p·16·kc, depth row kk at + 16·kk */
} stage;

/* Slice q of the stage: returns its depth, and its first depth in *pc. */
static long slice_depth(const stage *s, long q, long *pc) {
    *pc = s->pc + q * KC;
    return s->k - *pc < KC ? s->k - *pc : KC;
}
static long slices(const stage *s) { return (s->kd + KC - 1) / KC; }

static float *buffer(float **slot, long floats) {
    if (!*slot) {
        *slot = aligned_alloc(64, (size_t)floats * sizeof(float));
        if (!*slot) abort();
    }
    return *slot;
}

/* Packs panels [item·PACK_PANELS, +PACK_PANELS) of every slice: B(pc + kk, jc + 16p + jj) → panel p, row kk,
   lane jj; lanes past n are zero. Rows of a row-major B are copied 16 floats at a time; a transposed B (a weight
   read as Wᵀ) is read down its contiguous depth and scattered 16 floats apart (the panel is L1-resident). */
static void pack_b_item(void *arg, long item) {
    const stage *s = arg;
    long panels = (s->nc + 15) / 16, last = (item + 1) * PACK_PANELS < panels ? (item + 1) * PACK_PANELS : panels;
    for (long q = 0; q < slices(s); q++) {
        long pc, kc = slice_depth(s, q, &pc);
        for (long p = item * PACK_PANELS; p < last; p++) {
            long j0 = s->jc + 16 * p, cols = s->n - j0 < 16 ? s->n - j0 : 16;
            const float *src = s->b + pc * s->b_depth + j0 * s->b_col;
            float *dst = s->panels + q * KC * NC + p * 16 * kc;
            if (s->b_col == 1) {
                for (long kk = 0; kk < kc; kk++) {
                    memcpy(dst + 16 * kk, src + kk * s->b_depth, (size_t)cols * sizeof(float));
                    memset(dst + 16 * kk + cols, 0, (size_t)(16 - cols) * sizeof(float));
                }
            } else {
                if (cols < 16) memset(dst, 0, (size_t)(16 * kc) * sizeof(float));
                for (long jj = 0; jj < cols; jj++)
                    for (long kk = 0; kk < kc; kk++) dst[16 * kk + jj] = src[jj * s->b_col + kk * s->b_depth];
            }
        }
    }
}

/* Packs rows [i0, i0 + mc) of A at depths [pc, pc + kc) into `dst` and returns the strides the tile kernel reads it
   with: a transposed A (a weight gradient's dyᵀ: rows adjacent in memory) as [kc][mc], one contiguous copy per
   depth; any other as [mc][kc]. */
static void pack_a(const stage *s, long i0, long mc, long pc, long kc, float *dst, long *a_row, long *a_depth) {
    const float *src = s->a + i0 * s->a_row + pc * s->a_depth;
    if (s->a_row == 1 && s->a_depth != 1) {
        for (long kk = 0; kk < kc; kk++) memcpy(dst + kk * mc, src + kk * s->a_depth, (size_t)mc * sizeof(float));
        *a_row = 1;
        *a_depth = mc;
        return;
    }
    for (long i = 0; i < mc; i++) {
        if (s->a_depth == 1) {
            memcpy(dst + i * kc, src + i * s->a_row, (size_t)kc * sizeof(float));
        } else {
            for (long kk = 0; kk < kc; kk++) dst[i * kc + kk] = src[i * s->a_row + kk * s->a_depth];
        }
    }
    *a_row = kc;
    *a_depth = 1;
}

/* Item (row block item / groups, column group item % groups) of the stage: C[MC rows, NG columns] (+)= alpha·A·B,
   slice after slice. */
static void compute_item(void *arg, long item) {
    const stage *s = arg;
    long groups = (s->nc + NG - 1) / NG;
    long i0 = item / groups * MC, j0 = item % groups * NG;
    long mc = s->m - i0 < MC ? s->m - i0 : MC, cols = s->nc - j0 < NG ? s->nc - j0 : NG;
    float *a = buffer(&a_buffer, (long)MC * KC);
    for (long q = 0; q < slices(s); q++) {
        long pc, kc = slice_depth(s, q, &pc), a_row, a_depth;
        pack_a(s, i0, mc, pc, kc, a, &a_row, &a_depth);
        for (long j = j0; j < j0 + cols; j += 64)
            dd_tile_product_f32_avx512(mc, j0 + cols - j < 64 ? j0 + cols - j : 64, kc, s->alpha, a, a_row, a_depth,
                                       s->panels + q * KC * NC + j * kc, 16, 16 * kc, s->c + i0 * s->ldc + s->jc + j,
                                       s->ldc, s->accumulate || pc > 0);
    }
}

static void run_items(dd_parallel_for run, void *runner, long items, dd_parallel_body body, void *arg) {
    if (run) {
        run(runner, items, body, arg);
    } else {
        for (long i = 0; i < items; i++) body(arg, i);
    }
}

void dd_f32_gemm(long m, long n, long k, float alpha, const float *a, long a_row, long a_depth, const float *b,
                 long b_depth, long b_col, float *c, long ldc, int accumulate, dd_parallel_for run, void *runner) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        if (!accumulate)
            for (long i = 0; i < m; i++) memset(c + i * ldc, 0, (size_t)n * sizeof(float));
        return;
    }
    stage s = {.m = m, .n = n, .alpha = alpha, .a = a, .a_row = a_row, .a_depth = a_depth, .b = b,
               .b_depth = b_depth, .b_col = b_col, .c = c, .ldc = ldc, .k = k, .accumulate = accumulate,
               .panels = buffer(&b_buffer, (long)SLICES * KC * NC)};
    long row_blocks = (m + MC - 1) / MC;
    for (s.jc = 0; s.jc < n; s.jc += NC) {
        s.nc = n - s.jc < NC ? n - s.jc : NC;
        long panels = (s.nc + 15) / 16;
        for (s.pc = 0; s.pc < k; s.pc += SLICES * KC) {
            s.kd = k - s.pc < SLICES * KC ? k - s.pc : SLICES * KC;
            run_items(run, runner, (panels + PACK_PANELS - 1) / PACK_PANELS, pack_b_item, &s);
            run_items(run, runner, row_blocks * ((s.nc + NG - 1) / NG), compute_item, &s);
        }
    }
}
