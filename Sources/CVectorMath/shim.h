#include <math.h>

/* GELU, x·Φ(x) = x/2·(1 + erf(x/√2)), erf by Abramowitz & Stegun 7.1.28: erf(z) = 1 − 1/p(z)^16 for
   z ≥ 0, p a polynomial of degree 6 (|error| ≤ 3·10⁻⁷), z capped at 6 where erf is 1 in float. */
static const float sergraph_erf_coefficients[6] = {0.0000430638f, 0.0002765672f, 0.0001520143f, 0.0092705272f, 0.0422820123f,
                                                   0.0705230784f};

static inline float sergraph_gelu_one(float x) {
    const float z = fminf(fabsf(x) * 0.70710678118654752f, 6.0f);
    float p = sergraph_erf_coefficients[0];
    for (int i = 1; i < 6; i++) p = p * z + sergraph_erf_coefficients[i];
    p = p * z + 1.0f;
    float q = p * p;
    q = q * q;
    q = q * q;
    q = q * q;
    const float erf = 1.0f - 1.0f / q;
    return 0.5f * x * (1.0f + (x < 0 ? -erf : erf));
}

/* GELU of `count` floats in place, one at a time (processors without AVX2). */
static inline void sergraph_gelu_scalar(float *values, long count) {
    for (long i = 0; i < count; i++) values[i] = sergraph_gelu_one(values[i]);
}

#if defined(__x86_64__)
#include <immintrin.h>


/* e^r's Taylor series to r⁷, highest power first. */
static const float sergraph_exp_coefficients[8] = {1.0f / 5040, 1.0f / 720, 1.0f / 120, 1.0f / 24, 1.0f / 6, 0.5f, 1.0f, 1.0f};

/* e^x for x ≤ 0 up to its last step, at either width (V: the intrinsics' prefix, ROUND: their
   round-to-nearest): e^x = 2^n·e^r, n = round(x·log₂e), r = x − n·ln 2 (in two parts, |r| ≤ ln 2 / 2),
   p = e^r by its Taylor series to r⁷ (truncation below 10⁻⁸). x below −110 is taken as −110, whose
   e^x is 0 in float like everything below −104; NaN stays NaN. */
#define SERGRAPH_EXP_REDUCED(V, ROUND, x, n, p) do { \
        x = V##_max_ps(V##_set1_ps(-110.0f), x); \
        n = ROUND(V##_mul_ps(x, V##_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); \
        const __typeof__(x) r = V##_fnmadd_ps(n, V##_set1_ps(1.428606765330187e-06f), V##_fnmadd_ps(n, V##_set1_ps(0.693145751953125f), x)); \
        p = V##_set1_ps(sergraph_exp_coefficients[0]); \
        for (int c = 1; c < 8; c++) p = V##_fmadd_ps(p, r, V##_set1_ps(sergraph_exp_coefficients[c])); \
    } while (0)

/* e^x for x ≤ 0 (AVX-512): 2^n by vscalefps, which also gives subnormals. */
__attribute__((target("avx512f"))) static inline __m512 sergraph_exp16_nonpositive(__m512 x) {
    __m512 n, p;
    SERGRAPH_EXP_REDUCED(_mm512, _mm512_roundscale_ps, x, n, p);
    return _mm512_scalef_ps(p, n);
}

/* Softmax's numerators in place, values[i] = e^(values[i] - max), returning their sum; 16 at a time
   (AVX-512), the last partial vector under a mask. */
__attribute__((target("avx512f"))) static inline float sergraph_softmax_numerators_avx512(float *values, long count) {
    const __m512 lowest = _mm512_set1_ps(-INFINITY);
    const long whole = count & ~15L;
    const __mmask16 tail = (__mmask16)((1u << (count - whole)) - 1u);
    __m512 largest = _mm512_mask_loadu_ps(lowest, tail, values + whole);
    for (long i = 0; i < whole; i += 16) largest = _mm512_max_ps(largest, _mm512_loadu_ps(values + i));
    const __m512 shift = _mm512_set1_ps(_mm512_reduce_max_ps(largest));
    __m512 sum = _mm512_setzero_ps();
    for (long i = 0; i < whole; i += 16) {
        const __m512 e = sergraph_exp16_nonpositive(_mm512_sub_ps(_mm512_loadu_ps(values + i), shift));
        _mm512_storeu_ps(values + i, e);
        sum = _mm512_add_ps(sum, e);
    }
    if (tail) {
        const __m512 e = sergraph_exp16_nonpositive(_mm512_maskz_sub_ps(tail, _mm512_maskz_loadu_ps(tail, values + whole), shift));
        _mm512_mask_storeu_ps(values + whole, tail, e);
        sum = _mm512_mask_add_ps(sum, tail, sum, e);
    }
    return _mm512_reduce_add_ps(sum);
}

/* e^x for x ≤ 0 (AVX2): 2^n as 2^(n − n/2)·2^(n/2), each factor a normal float built from its
   exponent bits, so that subnormal results round once. */
__attribute__((target("avx2,fma"))) static inline __m256 sergraph_exp8_nonpositive(__m256 x) {
    __m256 n, p;
    SERGRAPH_EXP_REDUCED(_mm256, _mm256_round_ps, x, n, p);
    const __m256i whole = _mm256_cvtps_epi32(n), half = _mm256_srai_epi32(whole, 1);
    const __m256i bias = _mm256_set1_epi32(127);
    const __m256 low = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(half, bias), 23));
    const __m256 high = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(whole, half), bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, high), low);
}

/* The same, 8 at a time (AVX2), the last partial vector padded with −∞ (whose e^x is 0). */
__attribute__((target("avx2,fma"))) static inline float sergraph_softmax_numerators_avx2(float *values, long count) {
    const long whole = count & ~7L;
    __m256 largest8 = _mm256_set1_ps(-INFINITY);
    for (long i = 0; i < whole; i += 8) largest8 = _mm256_max_ps(largest8, _mm256_loadu_ps(values + i));
    __m128 largest4 = _mm_max_ps(_mm256_castps256_ps128(largest8), _mm256_extractf128_ps(largest8, 1));
    largest4 = _mm_max_ps(largest4, _mm_movehl_ps(largest4, largest4));
    float largest = _mm_cvtss_f32(_mm_max_ss(largest4, _mm_movehdup_ps(largest4)));
    for (long i = whole; i < count; i++) largest = values[i] > largest ? values[i] : largest;
    const __m256 shift = _mm256_set1_ps(largest);
    __m256 sum8 = _mm256_setzero_ps();
    for (long i = 0; i < whole; i += 8) {
        const __m256 e = sergraph_exp8_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(values + i), shift));
        _mm256_storeu_ps(values + i, e);
        sum8 = _mm256_add_ps(sum8, e);
    }
    if (whole < count) {
        float last[8] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY};
        for (long i = whole; i < count; i++) last[i - whole] = values[i];
        const __m256 e = sergraph_exp8_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(last), shift));
        _mm256_storeu_ps(last, e);
        for (long i = whole; i < count; i++) values[i] = last[i - whole];
        sum8 = _mm256_add_ps(sum8, e);
    }
    __m128 sum4 = _mm_add_ps(_mm256_castps256_ps128(sum8), _mm256_extractf128_ps(sum8, 1));
    sum4 = _mm_add_ps(sum4, _mm_movehl_ps(sum4, sum4));
    return _mm_cvtss_f32(_mm_add_ss(sum4, _mm_movehdup_ps(sum4)));
}

/* f of the last `count` (< 8) floats, through one vector padded with `pad`: the same function as the
   whole vectors before them, so that a value's result does not depend on where it lies. */
__attribute__((target("avx2,fma"))) static inline void sergraph_last8(float *values, long count, float pad, __m256 (*f)(__m256)) {
    if (count <= 0) return;
    float last[8] = {pad, pad, pad, pad, pad, pad, pad, pad};
    for (long j = 0; j < count; j++) last[j] = values[j];
    _mm256_storeu_ps(last, f(_mm256_loadu_ps(last)));
    for (long j = 0; j < count; j++) values[j] = last[j];
}

/* glibc's vector logf (libmvec), 16 and 8 floats at a time. */
__attribute__((target("avx512f"))) __m512 _ZGVeN16v_logf(__m512);
__attribute__((target("avx2,fma"))) __m256 _ZGVdN8v_logf(__m256);

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

/* ln x for `count` floats in place, 8 at a time (AVX2); the last few through the same vector
   function, so that a value's logarithm does not depend on where it lies. */
__attribute__((target("avx2,fma"))) static inline void sergraph_log_avx2(float *values, long count) {
    long i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(values + i, _ZGVdN8v_logf(_mm256_loadu_ps(values + i)));
    sergraph_last8(values + i, count - i, 1.0f, _ZGVdN8v_logf);
}

/* GELU of 8 floats (AVX2). */
__attribute__((target("avx2,fma"))) static inline __m256 sergraph_gelu8(__m256 x) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256 z = _mm256_min_ps(_mm256_andnot_ps(sign, _mm256_mul_ps(x, _mm256_set1_ps(0.70710678118654752f))), _mm256_set1_ps(6.0f));
    __m256 p = _mm256_set1_ps(sergraph_erf_coefficients[0]);
    for (int c = 1; c < 6; c++) p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(sergraph_erf_coefficients[c]));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.0f));
    __m256 q = _mm256_mul_ps(p, p);
    q = _mm256_mul_ps(q, q);
    q = _mm256_mul_ps(q, q);
    q = _mm256_mul_ps(q, q);
    const __m256 magnitude = _mm256_sub_ps(_mm256_set1_ps(1.0f), _mm256_div_ps(_mm256_set1_ps(1.0f), q));
    const __m256 erf = _mm256_or_ps(magnitude, _mm256_and_ps(x, sign));  /* erf is odd: x's sign bit */
    return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), _mm256_add_ps(_mm256_set1_ps(1.0f), erf));
}

/* GELU of `count` floats in place, 8 at a time (AVX2); the last few through the same vector
   function, so that a value's result does not depend on where it lies (nor on the thread count). */
__attribute__((target("avx2,fma"))) static inline void sergraph_gelu_avx2(float *values, long count) {
    long i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(values + i, sergraph_gelu8(_mm256_loadu_ps(values + i)));
    sergraph_last8(values + i, count - i, 0.0f, sergraph_gelu8);
}
#else
/* Other processors: the scalar paths (never chosen there; softmax's and log's are in VectorMath.swift and
   DSP's VectorLog.swift). */
static inline void sergraph_gelu_avx2(float *values, long count) { sergraph_gelu_scalar(values, count); }
static inline float sergraph_softmax_numerators_avx512(float *values, long count) { (void)values; (void)count; return NAN; }
static inline float sergraph_softmax_numerators_avx2(float *values, long count) { (void)values; (void)count; return NAN; }
static inline void sergraph_log_avx512(float *values, long count) { for (long i = 0; i < count; i++) values[i] = logf(values[i]); }
static inline void sergraph_log_avx2(float *values, long count) { sergraph_log_avx512(values, count); }
#endif
