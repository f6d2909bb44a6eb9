#ifndef SERGRAPH_CPU_FEATURES_H
#define SERGRAPH_CPU_FEATURES_H

/* Instruction-set extensions the processor has and the operating system enables
   (CPUID and XGETBV), one bit each. */
enum {
    SERGRAPH_CPU_AVX2 = 1 << 0,
    SERGRAPH_CPU_FMA = 1 << 1,
    SERGRAPH_CPU_AVX512F = 1 << 2,
    SERGRAPH_CPU_AVX512_BF16 = 1 << 3,
    SERGRAPH_CPU_AMX_BF16 = 1 << 4,
};

/* The SERGRAPH_CPU_* bits of this processor; 0 on other architectures. */
unsigned sergraph_cpu_features(void);

#endif
