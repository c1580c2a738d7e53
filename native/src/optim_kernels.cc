// AdamW update and sum of squares (for the global gradient norm). Contract: src/backend/types.ts.
#include <cmath>
#include <vector>

#include "cpu.h"
#include "kernels.h"
#include "thread_pool.h"
#if POET_X86
#include <immintrin.h>
#endif

#define POET_INLINE inline __attribute__((always_inline))

namespace poet {
namespace {

struct AdamWScalars {
  float decay;      // 1 − lr·wd
  float b1, omb1;   // β1, 1 − β1
  float b2, omb2;   // β2, 1 − β2
  float step_size;  // lr / (1 − β1^step)
  float inv_bc2_sqrt;  // 1 / sqrt(1 − β2^step)
  float eps, gscale;
};

// Same order of operations as torch.optim.AdamW's single-tensor path (Loshchilov & Hutter 2019, Alg. 2):
// decay, moments, denom = sqrt(v)/sqrt(bc2) + eps, p −= step_size · m / denom.
POET_INLINE void adamw_body(float* p, const float* grad, float* m, float* v, int64_t i0, int64_t i1,
                            const AdamWScalars& s) {
  for (int64_t i = i0; i < i1; ++i) {
    const float g = grad[i] * s.gscale;
    const float pi = p[i] * s.decay;
    const float mi = s.b1 * m[i] + s.omb1 * g;
    const float vi = s.b2 * v[i] + s.omb2 * g * g;
    m[i] = mi;
    v[i] = vi;
    p[i] = pi - s.step_size * mi / (std::sqrt(vi) * s.inv_bc2_sqrt + s.eps);
  }
}
void adamw_scalar(float* p, const float* g, float* m, float* v, int64_t a, int64_t b, const AdamWScalars& s) {
  adamw_body(p, g, m, v, a, b, s);
}
POET_AVX2 void adamw_avx2(float* p, const float* g, float* m, float* v, int64_t a, int64_t b, const AdamWScalars& s) {
  adamw_body(p, g, m, v, a, b, s);
}

double sumsq_scalar(const float* x, int64_t a, int64_t b) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = a;
  for (; i + 4 <= b; i += 4) {
    s0 += static_cast<double>(x[i]) * x[i];
    s1 += static_cast<double>(x[i + 1]) * x[i + 1];
    s2 += static_cast<double>(x[i + 2]) * x[i + 2];
    s3 += static_cast<double>(x[i + 3]) * x[i + 3];
  }
  for (; i < b; ++i) s0 += static_cast<double>(x[i]) * x[i];
  return (s0 + s1) + (s2 + s3);
}

#if POET_X86
POET_AVX2 double sumsq_avx2(const float* x, int64_t a, int64_t b) {
  __m256d acc0 = _mm256_setzero_pd(), acc1 = _mm256_setzero_pd();
  int64_t i = a;
  for (; i + 8 <= b; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
    const __m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
    acc0 = _mm256_fmadd_pd(lo, lo, acc0);
    acc1 = _mm256_fmadd_pd(hi, hi, acc1);
  }
  alignas(32) double t[4];
  _mm256_store_pd(t, _mm256_add_pd(acc0, acc1));
  return (t[0] + t[1]) + (t[2] + t[3]) + sumsq_scalar(x, i, b);
}
#else
double sumsq_avx2(const float* x, int64_t a, int64_t b) { return sumsq_scalar(x, a, b); }
#endif

}  // namespace

void adamw(float* param, const float* grad, float* m, float* v, int64_t len, double lr, double beta1, double beta2,
           double eps, double weight_decay, double step, double grad_scale) {
  AdamWScalars s;
  s.decay = static_cast<float>(1.0 - lr * weight_decay);
  s.b1 = static_cast<float>(beta1);
  s.omb1 = static_cast<float>(1.0 - beta1);
  s.b2 = static_cast<float>(beta2);
  s.omb2 = static_cast<float>(1.0 - beta2);
  s.step_size = static_cast<float>(lr / (1.0 - std::pow(beta1, step)));
  s.inv_bc2_sqrt = static_cast<float>(1.0 / std::sqrt(1.0 - std::pow(beta2, step)));
  s.eps = static_cast<float>(eps);
  s.gscale = static_cast<float>(grad_scale);
  const bool avx2 = use_avx2();
  parallel_for(len, 65536, [&](int64_t a, int64_t b) {
    if (avx2) adamw_avx2(param, grad, m, v, a, b, s);
    else adamw_scalar(param, grad, m, v, a, b, s);
  });
}

double sum_squares(const float* x, int64_t len) {
  if (len <= 0) return 0.0;
  const bool avx2 = use_avx2();
  const int nt = len >= 131072 ? num_threads() : 1;
  std::vector<double> parts(static_cast<size_t>(nt), 0.0);
  parallel_run([&](int tid, int nth) {
      const int64_t a = len * tid / nth, b = len * (tid + 1) / nth;
      parts[tid] = avx2 ? sumsq_avx2(x, a, b) : sumsq_scalar(x, a, b);
    }, nt);
  double s = 0.0;
  for (double p : parts) s += p;
  return s;
}

}  // namespace poet
