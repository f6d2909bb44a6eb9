#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>

/* glibc's vector expf and logf (libmvec), 16 and 8 floats at a time. */
__attribute__((target("avx512f"))) __m512 _ZGVeN16v_expf(__m512);
__attribute__((target("avx2,fma"))) __m256 _ZGVdN8v_expf(__m256);
__attribute__((target("avx512f"))) __m512 _ZGVeN16v_logf(__m512);
__attribute__((target("avx2,fma"))) __m256 _ZGVdN8v_logf(__m256);

/* values[i] = e^(values[i] − shift) in place, returning their sum, 16 at a time (AVX-512); the
   last few through the same vector function (masked), so that a value's result does not depend
   on where it lies. */
__attribute__((target("avx512f"))) static inline float sergraph_exp_shifted_avx512(float *values, long count, float shift) {
    const __m512 by = _mm512_set1_ps(shift);
    __m512 sum = _mm512_setzero_ps();
    long i = 0;
    for (; i + 16 <= count; i += 16) {
        const __m512 e = _ZGVeN16v_expf(_mm512_sub_ps(_mm512_loadu_ps(values + i), by));
        _mm512_storeu_ps(values + i, e);
        sum = _mm512_add_ps(sum, e);
    }
    if (i < count) {
        const __mmask16 tail = (__mmask16)((1u << (count - i)) - 1);
        const __m512 e = _ZGVeN16v_expf(_mm512_maskz_sub_ps(tail, _mm512_maskz_loadu_ps(tail, values + i), by));
        _mm512_mask_storeu_ps(values + i, tail, e);
        sum = _mm512_mask_add_ps(sum, tail, sum, e);
    }
    return _mm512_reduce_add_ps(sum);
}

/* The same, 8 at a time (AVX2), the last few in a vector padded with −∞ (whose e^x is 0). */
__attribute__((target("avx2,fma"))) static inline float sergraph_exp_shifted_avx2(float *values, long count, float shift) {
    const __m256 by = _mm256_set1_ps(shift);
    __m256 sum = _mm256_setzero_ps();
    long i = 0;
    for (; i + 8 <= count; i += 8) {
        const __m256 e = _ZGVdN8v_expf(_mm256_sub_ps(_mm256_loadu_ps(values + i), by));
        _mm256_storeu_ps(values + i, e);
        sum = _mm256_add_ps(sum, e);
    }
    if (i < count) {
        float last[8] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY};
        for (long j = i; j < count; j++) last[j - i] = values[j];
        const __m256 e = _ZGVdN8v_expf(_mm256_sub_ps(_mm256_loadu_ps(last), by));
        _mm256_storeu_ps(last, e);
        for (long j = i; j < count; j++) values[j] = last[j - i];
        sum = _mm256_add_ps(sum, e);
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, sum);
    return ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
}

/* ln x for `count` floats in place, 16 at a time (AVX-512); the last few through the same
   vector function (masked), so that a value's logarithm does not depend on where it lies. */
__attribute__((target("avx512f"))) static inline void sergraph_log_avx512(float *values, long count) {
    long i = 0;
    for (; i + 16 <= count; i += 16) _mm512_storeu_ps(values + i, _ZGVeN16v_logf(_mm512_loadu_ps(values + i)));
    if (i < count) {
        const __mmask16 tail = (__mmask16)((1u << (count - i)) - 1);
        const __m512 ones = _mm512_set1_ps(1.0f);
        _mm512_mask_storeu_ps(values + i, tail, _ZGVeN16v_logf(_mm512_mask_loadu_ps(ones, tail, values + i)));
    }
}

/* ln x for `count` floats in place, 8 at a time (AVX2); the last few in a vector padded with 1. */
__attribute__((target("avx2,fma"))) static inline void sergraph_log_avx2(float *values, long count) {
    long i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(values + i, _ZGVdN8v_logf(_mm256_loadu_ps(values + i)));
    if (i < count) {
        float last[8] = {1, 1, 1, 1, 1, 1, 1, 1};
        for (long j = i; j < count; j++) last[j - i] = values[j];
        _mm256_storeu_ps(last, _ZGVdN8v_logf(_mm256_loadu_ps(last)));
        for (long j = i; j < count; j++) values[j] = last[j - i];
    }
}
#else
/* Other processors: the scalar paths in Swift (never chosen there). */
static inline float sergraph_exp_shifted_avx512(float *values, long count, float shift) { (void)values; (void)count; (void)shift; return NAN; }
static inline float sergraph_exp_shifted_avx2(float *values, long count, float shift) { (void)values; (void)count; (void)shift; return NAN; }
static inline void sergraph_log_avx512(float *values, long count) { for (long i = 0; i < count; i++) values[i] = logf(values[i]); }
static inline void sergraph_log_avx2(float *values, long count) { sergraph_log_avx512(values, count); }
#endif
