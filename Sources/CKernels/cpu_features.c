/* CPU feature detection: CPUID for what the processor implements, XGETBV for what the operating system
   saves on a context switch (a feature is usable only when both agree), and Linux's opt-in for AMX tile data. */
#include "CKernels.h"
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

#if defined(__x86_64__)
static unsigned long long read_xcr0(void) {
    unsigned int lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}
#endif

void dd_cpu_detect(dd_cpu_features *f) {
    memset(f, 0, sizeof *f);
    strcpy(f->model, "unknown");
#if defined(__x86_64__)
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    unsigned long long xcr0 = osxsave ? read_xcr0() : 0;
    int ymm_saved = (xcr0 & 0x6) == 0x6;            /* SSE + AVX state */
    int zmm_saved = ymm_saved && (xcr0 & 0xE0) == 0xE0; /* opmask, ZMM_Hi256, Hi16_ZMM */
    int tiles_saved = (xcr0 & (3ull << 17)) == (3ull << 17); /* XTILECFG, XTILEDATA */
    unsigned int max_leaf = __get_cpuid_max(0, 0);
    unsigned int b7 = 0, d7 = 0, a71 = 0;
    if (max_leaf >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        b7 = b; d7 = d;
        __cpuid_count(7, 1, a, b, c, d);
        a71 = a;
    }
    int avx2 = (b7 >> 5) & 1;
    int avx512 = ((b7 >> 16) & 1) && ((b7 >> 30) & 1) && ((b7 >> 31) & 1); /* F, BW, VL */
    f->avx2_fma = avx && avx2 && fma && ymm_saved;
    f->avx512f = f->avx2_fma && avx512 && zmm_saved;
    f->avx512_bf16 = f->avx512f && ((a71 >> 5) & 1);
    f->amx_bf16 = f->avx512f && ((d7 >> 22) & 1) && ((d7 >> 24) & 1) && tiles_saved;
    if (__get_cpuid_max(0x80000000u, 0) >= 0x80000004u) {
        unsigned int r[12];
        for (unsigned int i = 0; i < 3; i++) __get_cpuid(0x80000002u + i, &r[4 * i], &r[4 * i + 1], &r[4 * i + 2], &r[4 * i + 3]);
        char brand[49];
        memcpy(brand, r, 48);
        brand[48] = 0;
        char *s = brand;
        while (*s == ' ') s++;
        size_t n = strlen(s);
        while (n > 0 && s[n - 1] == ' ') s[--n] = 0;
        if (n > 0) { strncpy(f->model, s, sizeof f->model - 1); f->model[sizeof f->model - 1] = 0; }
    }
#endif
}

int dd_amx_request_permission(void) {
#if defined(__linux__) && defined(__x86_64__)
    /* ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18 (arch/x86/include/uapi/asm/prctl.h). */
    return syscall(SYS_arch_prctl, 0x1023, 18) == 0 ? 0 : -1;
#else
    return -1;
#endif
}

/* A per-thread kernel-level override for tests that compare levels on one CPU (-1: none). Thread-local so a
   test that forces a level does not change the kernels of tests running beside it on other threads. */
static _Thread_local int level_override = -1;
void dd_set_level_override(int level) { level_override = level; }
int dd_level_override(void) { return level_override; }
