#include "cpu_features.h"

#if defined(__x86_64__)
#include <cpuid.h>

static unsigned long long xgetbv0(void) {
    unsigned eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

unsigned sergraph_cpu_features(void) {
    unsigned a, b, c, d, features = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const int osxsave = (c >> 27) & 1, fma = (c >> 12) & 1;
    if (!osxsave) return 0;
    const unsigned long long xcr0 = xgetbv0();
    const int ymm = (xcr0 & 0x6) == 0x6;               /* SSE and AVX state */
    const int zmm = ymm && (xcr0 & 0xe0) == 0xe0;      /* opmask, ZMM0-15 upper, ZMM16-31 */
    const int tiles = (xcr0 & 0x60000) == 0x60000;     /* AMX tile config and data */
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    const unsigned leaf7_ebx = b, leaf7_edx = d;
    __cpuid_count(7, 1, a, b, c, d);
    const unsigned leaf7_1_eax = a;
    if (ymm && ((leaf7_ebx >> 5) & 1)) features |= SERGRAPH_CPU_AVX2;
    if (ymm && fma) features |= SERGRAPH_CPU_FMA;
    if (zmm && ((leaf7_ebx >> 16) & 1)) features |= SERGRAPH_CPU_AVX512F;
    if (zmm && ((leaf7_ebx >> 16) & 1) && ((leaf7_1_eax >> 5) & 1)) features |= SERGRAPH_CPU_AVX512_BF16;
    if (tiles && ((leaf7_edx >> 22) & 1) && ((leaf7_edx >> 24) & 1)) features |= SERGRAPH_CPU_AMX_BF16;
    return features;
}
#else
unsigned sergraph_cpu_features(void) { return 0; }
#endif
