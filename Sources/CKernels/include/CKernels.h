#ifndef DDTRAIN_CKERNELS_H
#define DDTRAIN_CKERNELS_H
/* ddtrain's kernels that need instruction sets chosen at run time (AVX-512, AVX512-BF16, AMX).
   Swift has no per-function target attribute, so each variant is a C function compiled for its own
   instruction set (__attribute__((target(...)))) and the Swift side picks one after dd_cpu_detect.
   Calling a variant the CPU lacks is undefined (SIGILL): callers check the features first. */
#include <stddef.h>
#include <stdint.h>

/* ---- CPU features (cpu_features.c) ---------------------------------------------------------- */

/** What the CPU and the operating system allow; each flag is 1 only when both do. */
typedef struct {
    int avx2_fma;     /* AVX2 and FMA3, with the OS saving YMM state */
    int avx512f;      /* AVX-512 Foundation + BW + VL, with the OS saving ZMM and opmask state */
    int avx512_bf16;  /* AVX512-BF16 (VDPBF16PS), on top of avx512f */
    int amx_bf16;     /* AMX-TILE and AMX-BF16 in CPUID and tile state enabled in XCR0 */
    char model[64];   /* brand string from CPUID 0x80000002..4, trimmed */
} dd_cpu_features;

/** Fills `f` from CPUID and XGETBV. */
void dd_cpu_detect(dd_cpu_features *f);

/** Asks Linux for the AMX tile-data permission for this process (arch_prctl ARCH_REQ_XCOMP_PERM).
    Returns 0 when granted (idempotent), -1 when refused or not Linux. Call before any tile instruction. */
int dd_amx_request_permission(void);

/** This thread's kernel-level override (-1: none), for tests comparing levels on one CPU. */
void dd_set_level_override(int level);
int dd_level_override(void);

/* ---- CPU affinity (affinity.c) --------------------------------------------------------------- */

/** Writes up to `max` CPU numbers this process may run on (its affinity mask, ascending); returns how many. */
int dd_affinity_cpus(int *out, int max);
/** Pins the calling thread to `cpu`; 0 on success, -1 when refused. */
int dd_pin_thread(int cpu);

/* ---- fp32 attention tile product on AVX-512 (tile_product_avx512.c) ------------------------ */

/** C[m, n] = alpha·A·B, or C += alpha·A·B with `accumulate`; C row-major with leading dimension ldc.
    A(i, kk) = a[i·a_row + kk·a_depth]; B is given as 16-column panels: panel p starts at b + p·b_panel and
    its row kk at + kk·ldb. All 16 columns of every panel touched are read (pad B); exactly C[i < m, j < n]
    is written. The same contract as the Swift AVX2 `tileProduct`. Needs avx512f. */
void dd_tile_product_f32_avx512(long m, long n, long k, float alpha, const float *a, long a_row, long a_depth,
                                const float *b, long ldb, long b_panel, float *c, long ldc, int accumulate);

/* ---- fp32 GEMM driver on the AVX-512 tile kernel (gemm_f32.c) ------------------------------ */

/** A work item of a parallel loop: body(arg, item). */
typedef void (*dd_parallel_body)(void *arg, long item);
/** Runs body(arg, item) for every item in [0, items), each exactly once, on any threads in any order, and returns
    when all are done (`runner` is the pool it runs on). */
typedef void (*dd_parallel_for)(void *runner, long items, dd_parallel_body body, void *arg);

/** C[m, n] = alpha·A·B, or C += alpha·A·B with `accumulate`; C row-major with leading dimension ldc.
    A(i, kk) = a[i·a_row + kk·a_depth] and B(kk, j) = b[kk·b_depth + j·b_col], so either may be read transposed.
    The depth is summed in fixed 512-deep slices (each from zero in registers, then added to C in slice order),
    so the result is the same bits however `run` spreads the items over threads; `run` NULL runs them inline.
    Exactly C[i < m, j < n] is written. Uses a per-thread packed A block and the calling thread's packed B block
    (allocated on first use, never per call). Needs avx512f. */
void dd_f32_gemm(long m, long n, long k, float alpha, const float *a, long a_row, long a_depth, const float *b,
                 long b_depth, long b_col, float *c, long ldc, int accumulate, dd_parallel_for run, void *runner);

/* ---- attention softmax sweeps on AVX-512 (softmax_tiles_avx512.c) ------------------------- */

/** The online-softmax update of one score tile (the AVX-512 form of the Swift `onlineSoftmaxTile`): per row, the
    visible prefix (keys up to query r0 + r, from key c0) becomes exp(S − m_new) in place, the masked suffix 0, the
    running max m (base-2 units) and sum l are updated and the output row o (width d) rescaled. With `bf16_out`,
    row r's probabilities are also written rounded to bf16 at bf16_out + r·ldb (zero up to cols rounded to even). */
void dd_online_softmax_tile_avx512(float *s, long ld, long rows, long cols, long r0, long c0, float *m, float *l,
                                   float *o, long d, uint16_t *bf16_out, long ldb);

/** The backward sweep (the AVX-512 form of `probabilityAndScoreGradientTile`): P = exp(S − lse) in place of S and
    dS = P∘(dP − D) in place of dP, lse and delta `stride` apart per row; masked entries 0. With `bf16_out`, dS is
    also written rounded to bf16, row r at bf16_out + r·ldb. */
void dd_probability_score_gradient_tile_avx512(float *s, float *dp, long ld, long rows, long cols, long r0,
                                               long c0, const float *lse, const float *delta, long stride,
                                               uint16_t *bf16_out, long ldb);

/* ---- bf16 operands, fp32 accumulation (bf16_pack.c, gemm_bf16*.c) -------------------------- */

/** fp32 → bf16, round to nearest even (NaN stays NaN, quietened). Portable. */
uint16_t dd_bf16_round(float x);

/** Rounds `count` floats to bf16 in place (each value becomes exactly representable in bf16). Portable. */
void dd_bf16_round_in_place(float *x, long count);

/** bf16 elements of B [k, n] packed by dd_bf16_pack_b: ceil(n/16) panels of 16 columns × K rounded up to 32. */
size_t dd_bf16_packed_b_count(long k, long n);

/** Packs B(kk, j) = src[kk·k_stride + j·n_stride] (kk < k, j < n), rounded to bf16, into 16-column panels in
    the VNNI pair layout: panel p holds [K32/2][16][2] with element (kk, j) at
    p·16·K32 + (kk/2)·32 + (j%16)·2 + kk%2, K32 = k rounded up to 32; padding is zero. Portable. */
void dd_bf16_pack_b(const float *src, long k, long n, long k_stride, long n_stride, uint16_t *dst);

/** Packs rows × kc of A(i, kk) = a[i·a_row + kk·a_depth] as bf16 rows of kc32 elements (row-major, zero past
    kc), padded with zero rows up to rows_padded. Rows are kc32 elements apart (any length ≥ kc). Needs avx512f. */
void dd_bf16_pack_a(const float *a, long a_row, long a_depth, long rows, long rows_padded, long kc, long kc32,
                    uint16_t *dst);

/** Which bf16 kernel runs a product. */
enum { DD_BF16_AVX512 = 1, DD_BF16_AMX = 2 };

/** C[m, n] (+)= alpha·A·B in fp32 with A rounded to bf16 while it is packed and B packed by dd_bf16_pack_b
    (for the same k, n). A(i, kk) = a[i·a_row + kk·a_depth]. Exactly C[i < m, j < n] is written.
    `kernel` is DD_BF16_AVX512 (needs avx512_bf16) or DD_BF16_AMX (needs amx_bf16 and the permission).
    Uses a fixed per-thread workspace; no allocation. */
void dd_bf16_gemm(int kernel, long m, long n, long k, float alpha, const float *a, long a_row, long a_depth,
                  const uint16_t *b_packed, float *c, long ldc, int accumulate);

/** The bf16 product of attention tiles (AVX512-BF16): C[m, n] = alpha·A·B, or C += with `accumulate`, over depth
    k. A is bf16 rows `lda` elements apart, read in pairs up to k rounded up to even (so an odd k needs A's
    element k zero); B is 16-column panels in the VNNI pair layout (panel p at b + p·b_panel, depth pair q at
    + 32·q, as dd_bf16_pack_b lays them out), every panel touched read in full for ⌈k/2⌉ pairs (the packer's zero
    padding covers an odd k). Exactly C[i < m, j < n] is written. Needs avx512_bf16. */
void dd_bf16_tile_product(long m, long n, long k, float alpha, const uint16_t *a, long lda, const uint16_t *b,
                          long b_panel, float *c, long ldc, int accumulate);

/** fp32 → bf16 rows: dst[i·ldd + j] = bf16(src[i·lds + j]) for j < cols, and zero for cols ≤ j < padded_cols.
    Needs avx512f. */
void dd_bf16_convert_rows(const float *src, long lds, long rows, long cols, long padded_cols, uint16_t *dst, long ldd);

/** Register-resident peak probes: GFLOP-free loops of the instruction alone (no loads), for benchmarks.
    Each runs `iterations` rounds and returns the FLOPs executed (multiply-add = 2). */
double dd_probe_fma_avx2(long iterations);
double dd_probe_fma_avx512(long iterations);
double dd_probe_dpbf16_avx512(long iterations);
double dd_probe_tdpbf16_amx(long iterations);

#endif
