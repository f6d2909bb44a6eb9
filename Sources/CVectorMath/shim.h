#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>

/* glibc's vector expf (libmvec), 16 and 8 floats at a time. */
__attribute__((target("avx512f"))) __m512 _ZGVeN16v_expf(__m512);
__attribute__((target("avx2,fma"))) __m256 _ZGVdN8v_expf(__m256);

/* e^x for `count` floats in place, 16 at a time (AVX-512). */
__attribute__((target("avx512f"))) static inline void sergraph_exp_avx512(float *values, long count) {
    long i = 0;
    for (; i + 16 <= count; i += 16) _mm512_storeu_ps(values + i, _ZGVeN16v_expf(_mm512_loadu_ps(values + i)));
    for (; i < count; i++) values[i] = expf(values[i]);
}

/* e^x for `count` floats in place, 8 at a time (AVX2). */
__attribute__((target("avx2,fma"))) static inline void sergraph_exp_avx2(float *values, long count) {
    long i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(values + i, _ZGVdN8v_expf(_mm256_loadu_ps(values + i)));
    for (; i < count; i++) values[i] = expf(values[i]);
}
#else
/* Other processors: the scalar path in VectorMath.swift (never chosen there). */
static inline void sergraph_exp_avx512(float *values, long count) { for (long i = 0; i < count; i++) values[i] = expf(values[i]); }
static inline void sergraph_exp_avx2(float *values, long count) { sergraph_exp_avx512(values, count); }
#endif
