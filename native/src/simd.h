// Vector helpers for the AVX2 kernels (callers must themselves be POET_AVX2 functions).
#pragma once
#include "cpu.h"
#if POET_X86
#include <immintrin.h>

namespace poet {

// e^x for 8 floats (Cody-Waite range reduction x = n·ln2 + r, |r| ≤ ln2/2, then a degree-6 Taylor/minimax
// polynomial for e^r and 2^n built in the exponent bits). Max relative error ~2 ulp on [-87, 88.7].
// Inputs below -87 (including -inf: masked attention scores) give exactly 0 and are computed as if 0,
// so no lane ever produces a subnormal intermediate (those cost a ~100-cycle microcode assist on Intel);
// e^-87 ≈ 1.6e-38 is the smallest normal result. Inputs above 88.7 give +inf.
POET_AVX2 static inline __m256 exp256(__m256 x) {
  const __m256 hi = _mm256_set1_ps(88.7228394f), lo = _mm256_set1_ps(-87.0f);
  const __m256 too_small = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
  x = _mm256_min_ps(x, hi);
  x = _mm256_andnot_ps(too_small, x);  // those lanes compute e^0 and are zeroed at the end
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);  // ln2 split: hi part exact in float
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  const __m256 r2 = _mm256_mul_ps(r, r);
  p = _mm256_fmadd_ps(p, r2, _mm256_add_ps(r, _mm256_set1_ps(1.f)));
  // 2^n: n in [-126, 128]; n = 128 (x near 88.7) would overflow the biased exponent, so scale in two steps.
  __m256i ni = _mm256_cvtps_epi32(n);
  __m256i n1 = _mm256_srai_epi32(ni, 1), n2 = _mm256_sub_epi32(ni, n1);
  __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, _mm256_set1_epi32(127)), 23));
  __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, _mm256_set1_epi32(127)), 23));
  __m256 res = _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
  return _mm256_andnot_ps(too_small, res);
}

// tanh(z) = 1 − 2 / (e^{2z} + 1): saturates cleanly (e^{2z} → ∞ gives 1, → 0 gives −1). The absolute error
// is ~1e-7 everywhere, but near 0 the RELATIVE error grows (cancellation), so use it only where tanh is
// added to 1 (GELU), not where tanh(z) ≈ z itself is the result (soft-capping keeps std::tanh).
POET_AVX2 static inline __m256 tanh_plus_form256(__m256 z) {
  const __m256 one = _mm256_set1_ps(1.f);
  const __m256 e = exp256(_mm256_add_ps(z, z));
  return _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.f), _mm256_add_ps(e, one)));
}

POET_AVX2 static inline float hsum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

POET_AVX2 static inline float hmax256(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

}  // namespace poet
#endif
