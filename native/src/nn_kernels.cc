// Row-wise and elementwise kernels: bias, embedding, RMSNorm, RoPE, gated MLP activations, elementwise
// arithmetic, soft-capping, fused log-probs. Contract: src/backend/types.ts.
//
// Pattern: a kernel body written once as an always-inline template is instantiated twice, in a plain
// function (baseline x86-64) and in a POET_AVX2 function, where GCC auto-vectorises it with AVX2/FMA.
// Loops that need e^x use explicit intrinsics (exp256) because compilers do not vectorise expf.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "cpu.h"
#include "kernels.h"
#include "simd.h"
#include "thread_pool.h"

#define POET_INLINE inline __attribute__((always_inline))
#define POET_DUAL(name, params, args)                 \
  static void name##_scalar params { name##_body args; } \
  POET_AVX2 static void name##_avx2 params { name##_body args; }
#define POET_CALL(name, args) (use_avx2() ? name##_avx2 args : name##_scalar args)

namespace poet {
namespace {

// Rows per parallel chunk so that each chunk has at least ~32K elements of work.
int64_t row_grain(int64_t d) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(1, d)); }
constexpr int64_t kElemGrain = 65536;

// ---------------------------------------------------------------- bias
POET_INLINE void bias_add_body(float* x, const float* bias, int64_t r0, int64_t r1, int64_t d) {
  for (int64_t r = r0; r < r1; ++r) {
    float* row = x + r * d;
    for (int64_t j = 0; j < d; ++j) row[j] += bias[j];
  }
}
POET_DUAL(bias_add, (float* x, const float* bias, int64_t r0, int64_t r1, int64_t d), (x, bias, r0, r1, d))

// Column range [c0, c1) of dBias, summed over all rows (threads own disjoint columns: no race).
POET_INLINE void bias_backward_body(float* db, const float* dout, int64_t n, int64_t d, int64_t c0, int64_t c1) {
  for (int64_t r = 0; r < n; ++r) {
    const float* row = dout + r * d;
    for (int64_t j = c0; j < c1; ++j) db[j] += row[j];
  }
}
POET_DUAL(bias_backward, (float* db, const float* dout, int64_t n, int64_t d, int64_t c0, int64_t c1),
          (db, dout, n, d, c0, c1))

// ---------------------------------------------------------------- RMSNorm (Zhang & Sennrich 2019)
POET_INLINE void rmsnorm_fwd_body(float* out, float* rstd, const float* x, const float* w, int64_t r0, int64_t r1,
                                  int64_t d, float eps, float add) {
  for (int64_t r = r0; r < r1; ++r) {
    const float* xr = x + r * d;
    float* o = out + r * d;
    float ss = 0.f;
    for (int64_t j = 0; j < d; ++j) ss += xr[j] * xr[j];
    const float rs = 1.f / std::sqrt(ss / static_cast<float>(d) + eps);
    rstd[r] = rs;
    for (int64_t j = 0; j < d; ++j) o[j] = xr[j] * rs * (w[j] + add);
  }
}
POET_DUAL(rmsnorm_fwd, (float* out, float* rstd, const float* x, const float* w, int64_t r0, int64_t r1, int64_t d,
                        float eps, float add),
          (out, rstd, x, w, r0, r1, d, eps, add))

// dx[r,:] += rstd·(g − x̂·mean(g·x̂)), g = dOut·ŵ;  dwPart[:] += dOut·x̂ (this thread's partial of dw)
POET_INLINE void rmsnorm_bwd_body(float* dx, float* dw_part, const float* dout, const float* x, const float* w,
                                  const float* rstd, int64_t r0, int64_t r1, int64_t d, float add) {
  for (int64_t r = r0; r < r1; ++r) {
    const float* xr = x + r * d;
    const float* gr = dout + r * d;
    float* dxr = dx + r * d;
    const float rs = rstd[r];
    float dot = 0.f;  // Σ_j g_j · x̂_j
    for (int64_t j = 0; j < d; ++j) dot += gr[j] * (w[j] + add) * xr[j];
    const float mean = dot * rs / static_cast<float>(d);
    for (int64_t j = 0; j < d; ++j) {
      const float xh = xr[j] * rs;
      dxr[j] += rs * (gr[j] * (w[j] + add) - xh * mean);
      dw_part[j] += gr[j] * xh;
    }
  }
}
POET_DUAL(rmsnorm_bwd, (float* dx, float* dw_part, const float* dout, const float* x, const float* w,
                        const float* rstd, int64_t r0, int64_t r1, int64_t d, float add),
          (dx, dw_part, dout, x, w, rstd, r0, r1, d, add))

// ---------------------------------------------------------------- RoPE (Su et al. 2021, HF rotate_half layout)
POET_INLINE void rope_body(float* x, const float* cs, const float* sn, const int32_t* pos, int64_t tok0,
                           int64_t tok1, int64_t h, int64_t dh, float sign) {
  const int64_t half = dh / 2;
  for (int64_t tok = tok0; tok < tok1; ++tok) {
    const float* c = cs + static_cast<int64_t>(pos[tok]) * half;
    const float* s = sn + static_cast<int64_t>(pos[tok]) * half;
    for (int64_t hh = 0; hh < h; ++hh) {
      float* x1 = x + (tok * h + hh) * dh;
      float* x2 = x1 + half;
      for (int64_t i = 0; i < half; ++i) {
        const float a = x1[i], b = x2[i], si = sign * s[i];
        x1[i] = a * c[i] - b * si;
        x2[i] = b * c[i] + a * si;
      }
    }
  }
}
POET_DUAL(rope, (float* x, const float* cs, const float* sn, const int32_t* pos, int64_t tok0, int64_t tok1,
                 int64_t h, int64_t dh, float sign),
          (x, cs, sn, pos, tok0, tok1, h, dh, sign))

// ---------------------------------------------------------------- gated MLP activations
// SwiGLU (Shazeer 2020): silu(g) = g·σ(g), silu'(g) = σ(g)·(1 + g·(1 − σ(g))).
// GeGLU with HF gelu_pytorch_tanh: gelu(g) = ½g(1 + tanh(√(2/π)(g + 0.044715g³))) (Hendrycks & Gimpel 2016).
constexpr float kSqrt2OverPi = 0.7978845608028654f;
constexpr float kGeluC = 0.044715f;

void glu_fwd_scalar(float* out, const float* gate, const float* up, int64_t i0, int64_t i1, GluAct act) {
  for (int64_t i = i0; i < i1; ++i) {
    const float g = gate[i];
    float a;
    if (act == GluAct::Silu) {
      a = g / (1.f + std::exp(-g));
    } else {
      a = 0.5f * g * (1.f + std::tanh(kSqrt2OverPi * (g + kGeluC * g * g * g)));
    }
    out[i] = a * up[i];
  }
}

void glu_bwd_scalar(float* dgate, float* dup, const float* dout, const float* gate, const float* up, int64_t i0,
                    int64_t i1, GluAct act) {
  for (int64_t i = i0; i < i1; ++i) {
    const float g = gate[i];
    float a, da;
    if (act == GluAct::Silu) {
      const float s = 1.f / (1.f + std::exp(-g));
      a = g * s;
      da = s * (1.f + g * (1.f - s));
    } else {
      const float z = kSqrt2OverPi * (g + kGeluC * g * g * g);
      const float t = std::tanh(z);
      a = 0.5f * g * (1.f + t);
      da = 0.5f * (1.f + t) + 0.5f * g * (1.f - t * t) * kSqrt2OverPi * (1.f + 3.f * kGeluC * g * g);
    }
    dgate[i] += dout[i] * up[i] * da;
    dup[i] += dout[i] * a;
  }
}

#if POET_X86
// GELU(tanh) pieces for 8 lanes: t = tanh(√(2/π)(g + 0.044715 g³)), a = ½g(1 + t).
POET_AVX2 static inline __m256 gelu_t256(__m256 g) {
  const __m256 g3 = _mm256_mul_ps(_mm256_mul_ps(g, g), g);
  const __m256 z = _mm256_mul_ps(_mm256_set1_ps(kSqrt2OverPi), _mm256_fmadd_ps(_mm256_set1_ps(kGeluC), g3, g));
  return tanh_plus_form256(z);
}

POET_AVX2 void glu_fwd_avx2(float* out, const float* gate, const float* up, int64_t i0, int64_t i1, GluAct act) {
  const __m256 one = _mm256_set1_ps(1.f), half = _mm256_set1_ps(0.5f);
  int64_t i = i0;
  for (; i + 8 <= i1; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    __m256 a;
    if (act == GluAct::Silu) {
      a = _mm256_div_ps(g, _mm256_add_ps(one, exp256(_mm256_sub_ps(_mm256_setzero_ps(), g))));
    } else {
      a = _mm256_mul_ps(_mm256_mul_ps(half, g), _mm256_add_ps(one, gelu_t256(g)));
    }
    _mm256_storeu_ps(out + i, _mm256_mul_ps(a, _mm256_loadu_ps(up + i)));
  }
  glu_fwd_scalar(out, gate, up, i, i1, act);
}

POET_AVX2 void glu_bwd_avx2(float* dgate, float* dup, const float* dout, const float* gate, const float* up,
                            int64_t i0, int64_t i1, GluAct act) {
  const __m256 one = _mm256_set1_ps(1.f), half = _mm256_set1_ps(0.5f);
  int64_t i = i0;
  for (; i + 8 <= i1; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    __m256 a, da;
    if (act == GluAct::Silu) {
      const __m256 s = _mm256_div_ps(one, _mm256_add_ps(one, exp256(_mm256_sub_ps(_mm256_setzero_ps(), g))));
      a = _mm256_mul_ps(g, s);
      da = _mm256_mul_ps(s, _mm256_fmadd_ps(g, _mm256_sub_ps(one, s), one));
    } else {  // da = ½(1 + t) + ½g(1 − t²)·√(2/π)(1 + 3·0.044715 g²)
      const __m256 t = gelu_t256(g);
      const __m256 opt = _mm256_add_ps(one, t);
      a = _mm256_mul_ps(_mm256_mul_ps(half, g), opt);
      const __m256 inner = _mm256_mul_ps(_mm256_set1_ps(kSqrt2OverPi),
                                         _mm256_fmadd_ps(_mm256_set1_ps(3.f * kGeluC), _mm256_mul_ps(g, g), one));
      const __m256 omt2 = _mm256_fnmadd_ps(t, t, one);
      da = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_mul_ps(half, g), omt2), inner, _mm256_mul_ps(half, opt));
    }
    const __m256 d = _mm256_loadu_ps(dout + i);
    _mm256_storeu_ps(dgate + i, _mm256_fmadd_ps(_mm256_mul_ps(d, _mm256_loadu_ps(up + i)), da,
                                                _mm256_loadu_ps(dgate + i)));
    _mm256_storeu_ps(dup + i, _mm256_fmadd_ps(d, a, _mm256_loadu_ps(dup + i)));
  }
  glu_bwd_scalar(dgate, dup, dout, gate, up, i, i1, act);
}
#else
void glu_fwd_avx2(float* o, const float* g, const float* u, int64_t a, int64_t b, GluAct act) { glu_fwd_scalar(o, g, u, a, b, act); }
void glu_bwd_avx2(float* dg, float* du, const float* d, const float* g, const float* u, int64_t a, int64_t b, GluAct act) {
  glu_bwd_scalar(dg, du, d, g, u, a, b, act);
}
#endif

// ---------------------------------------------------------------- elementwise
POET_INLINE void add_body(float* out, const float* a, const float* b, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; ++i) out[i] = a[i] + b[i];
}
POET_DUAL(add, (float* out, const float* a, const float* b, int64_t i0, int64_t i1), (out, a, b, i0, i1))
POET_INLINE void scale_body(float* out, const float* x, float s, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; ++i) out[i] = s * x[i];
}
POET_DUAL(scale, (float* out, const float* x, float s, int64_t i0, int64_t i1), (out, x, s, i0, i1))
POET_INLINE void axpy_body(float* y, const float* x, float alpha, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; ++i) y[i] += alpha * x[i];
}
POET_DUAL(axpy, (float* y, const float* x, float alpha, int64_t i0, int64_t i1), (y, x, alpha, i0, i1))

// ---------------------------------------------------------------- fused log-probs over the vocabulary
// lse = m + log Σ exp(x − m) with m = max(x) (the usual overflow-safe form).
// Backward (interface v2): d logp / d z_j = 1[j = target] − softmax_j, so dz = dLogp · (onehot − softmax).
void logprobs_fwd_rows_scalar(const float* logits, const int32_t* targets, int64_t r0, int64_t r1, int64_t v,
                              float* logp, float* lse, float* lsum) {
  for (int64_t r = r0; r < r1; ++r) {
    const float* x = logits + r * v;
    float m = -INFINITY;
    double s = 0.0;
    for (int64_t j = 0; j < v; ++j) {
      m = std::max(m, x[j]);
      s += x[j];
    }
    float se = 0.f;
    for (int64_t j = 0; j < v; ++j) se += std::exp(x[j] - m);
    const float l = m + std::log(se);
    lse[r] = l;
    lsum[r] = static_cast<float>(s);
    const int32_t t = targets[r];
    logp[r] = t == -100 ? 0.f : x[t] - l;
  }
}

void logprobs_bwd_rows_scalar(float* dl, const float* dlogp, const float* logits, const float* lse,
                              const int32_t* targets, int64_t r0, int64_t r1, int64_t v) {
  for (int64_t r = r0; r < r1; ++r) {
    float* o = dl + r * v;
    const int32_t t = targets[r];
    if (t == -100) {
      std::memset(o, 0, sizeof(float) * v);
      continue;
    }
    const float* x = logits + r * v;
    const float g = dlogp[r], l = lse[r];
    for (int64_t j = 0; j < v; ++j) o[j] = -g * std::exp(x[j] - l);
    o[t] += g;
  }
}

#if POET_X86
POET_AVX2 void logprobs_fwd_rows_avx2(const float* logits, const int32_t* targets, int64_t r0, int64_t r1, int64_t v,
                                      float* logp, float* lse, float* lsum) {
  for (int64_t r = r0; r < r1; ++r) {
    const float* x = logits + r * v;
    __m256 mv = _mm256_set1_ps(-INFINITY);
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
    int64_t j = 0;
    for (; j + 8 <= v; j += 8) {
      const __m256 xv = _mm256_loadu_ps(x + j);
      mv = _mm256_max_ps(mv, xv);
      s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(xv)));
      s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(xv, 1)));
    }
    float m = hmax256(mv);
    alignas(32) double sd[4];
    _mm256_store_pd(sd, _mm256_add_pd(s0, s1));
    double s = sd[0] + sd[1] + sd[2] + sd[3];
    for (int64_t jj = j; jj < v; ++jj) {
      m = std::max(m, x[jj]);
      s += x[jj];
    }
    const __m256 mb = _mm256_set1_ps(m);
    __m256 acc = _mm256_setzero_ps();
    for (j = 0; j + 8 <= v; j += 8) acc = _mm256_add_ps(acc, exp256(_mm256_sub_ps(_mm256_loadu_ps(x + j), mb)));
    float se = hsum256(acc);
    for (; j < v; ++j) se += std::exp(x[j] - m);
    const float l = m + std::log(se);
    lse[r] = l;
    lsum[r] = static_cast<float>(s);
    const int32_t t = targets[r];
    logp[r] = t == -100 ? 0.f : x[t] - l;
  }
}

POET_AVX2 void logprobs_bwd_rows_avx2(float* dl, const float* dlogp, const float* logits, const float* lse,
                                      const int32_t* targets, int64_t r0, int64_t r1, int64_t v) {
  for (int64_t r = r0; r < r1; ++r) {
    float* o = dl + r * v;
    const int32_t t = targets[r];
    if (t == -100) {
      std::memset(o, 0, sizeof(float) * v);
      continue;
    }
    const float* x = logits + r * v;
    const float g = dlogp[r], l = lse[r];
    const __m256 gv = _mm256_set1_ps(-g), lv = _mm256_set1_ps(l);
    int64_t j = 0;
    for (; j + 8 <= v; j += 8)
      _mm256_storeu_ps(o + j, _mm256_mul_ps(gv, exp256(_mm256_sub_ps(_mm256_loadu_ps(x + j), lv))));
    for (; j < v; ++j) o[j] = -g * std::exp(x[j] - l);
    o[t] += g;
  }
}
#else
void logprobs_fwd_rows_avx2(const float* a, const int32_t* b, int64_t c, int64_t d, int64_t e, float* f, float* g, float* h) {
  logprobs_fwd_rows_scalar(a, b, c, d, e, f, g, h);
}
void logprobs_bwd_rows_avx2(float* a, const float* b, const float* c, const float* d, const int32_t* e, int64_t f, int64_t g, int64_t h) {
  logprobs_bwd_rows_scalar(a, b, c, d, e, f, g, h);
}
#endif

}  // namespace

// ================================================================= public entry points

void bias_add(float* x, const float* bias, int64_t n, int64_t d) {
  parallel_for(n, row_grain(d), [&](int64_t a, int64_t b) { POET_CALL(bias_add, (x, bias, a, b, d)); });
}

void bias_backward(float* dbias, const float* dout, int64_t n, int64_t d) {
  // Split columns in multiples of 16 floats (whole cache lines) so threads never share a line of dBias.
  const int64_t blocks = (d + 15) / 16;
  parallel_for(n * d >= 65536 ? blocks : 1, 1, [&](int64_t a, int64_t b) {
    const int64_t c0 = a * 16, c1 = n * d >= 65536 ? std::min(d, b * 16) : d;
    POET_CALL(bias_backward, (dbias, dout, n, d, c0, c1));
  });
}

void embedding_forward(float* out, const float* table, const int32_t* ids, int64_t n, int64_t d, float scale) {
  parallel_for(n, row_grain(d), [&](int64_t a, int64_t b) {
    for (int64_t r = a; r < b; ++r) {
      const float* src = table + static_cast<int64_t>(ids[r]) * d;
      float* o = out + r * d;
      if (scale == 1.f) {
        std::memcpy(o, src, sizeof(float) * d);
      } else {
        for (int64_t j = 0; j < d; ++j) o[j] = scale * src[j];
      }
    }
  });
}

void embedding_backward(float* dtable, const float* dout, const int32_t* ids, int64_t n, int64_t d, float scale) {
  // Scatter-add with repeated ids: threads own disjoint column ranges of the table, so no two threads
  // ever write the same element and the sum order per element stays the row order.
  const int64_t blocks = (d + 15) / 16;
  const bool par = n * d >= 65536;
  parallel_for(par ? blocks : 1, 1, [&](int64_t a, int64_t b) {
    const int64_t c0 = par ? a * 16 : 0, c1 = par ? std::min(d, b * 16) : d;
    for (int64_t r = 0; r < n; ++r) {
      float* dst = dtable + static_cast<int64_t>(ids[r]) * d;
      const float* src = dout + r * d;
      for (int64_t j = c0; j < c1; ++j) dst[j] += scale * src[j];
    }
  });
}

void rmsnorm_forward(float* out, float* rstd, const float* x, const float* w, int64_t n, int64_t d, float eps,
                     bool add_one) {
  const float add = add_one ? 1.f : 0.f;
  parallel_for(n, row_grain(d), [&](int64_t a, int64_t b) { POET_CALL(rmsnorm_fwd, (out, rstd, x, w, a, b, d, eps, add)); });
}

void rmsnorm_backward(float* dx, float* dw, const float* dout, const float* x, const float* w, const float* rstd,
                      int64_t n, int64_t d, bool add_one) {
  const float add = add_one ? 1.f : 0.f;
  const int nt = n * d >= 65536 ? num_threads() : 1;
  // Each thread sums its rows' dw contribution into a private buffer; the partials are added afterwards
  // in thread order (deterministic for a fixed thread count).
  std::vector<float> parts(static_cast<size_t>(nt) * d, 0.f);
  parallel_run([&](int tid, int nth) {
      const int64_t a = n * tid / nth, b = n * (tid + 1) / nth;
      POET_CALL(rmsnorm_bwd, (dx, parts.data() + tid * d, dout, x, w, rstd, a, b, d, add));
    }, nt);
  for (int t = 0; t < nt; ++t)
    for (int64_t j = 0; j < d; ++j) dw[j] += parts[t * d + j];
}

void rope(float* x, const float* cos, const float* sin, const int32_t* positions, int64_t b, int64_t t, int64_t h,
          int64_t dh, bool inverse) {
  const float sign = inverse ? -1.f : 1.f;
  parallel_for(b * t, row_grain(h * dh), [&](int64_t a, int64_t e) {
    POET_CALL(rope, (x, cos, sin, positions, a, e, h, dh, sign));
  });
}

void glu_forward(float* out, const float* gate, const float* up, int64_t len, GluAct act) {
  parallel_for(len, kElemGrain / 2, [&](int64_t a, int64_t b) { POET_CALL(glu_fwd, (out, gate, up, a, b, act)); });
}

void glu_backward(float* dgate, float* dup, const float* dout, const float* gate, const float* up, int64_t len,
                  GluAct act) {
  parallel_for(len, kElemGrain / 2, [&](int64_t a, int64_t b) { POET_CALL(glu_bwd, (dgate, dup, dout, gate, up, a, b, act)); });
}

void add(float* out, const float* a, const float* b, int64_t len) {
  parallel_for(len, kElemGrain, [&](int64_t i0, int64_t i1) { POET_CALL(add, (out, a, b, i0, i1)); });
}
void scale(float* out, const float* x, float s, int64_t len) {
  parallel_for(len, kElemGrain, [&](int64_t i0, int64_t i1) { POET_CALL(scale, (out, x, s, i0, i1)); });
}
void axpy(float* y, const float* x, float alpha, int64_t len) {
  parallel_for(len, kElemGrain, [&](int64_t i0, int64_t i1) { POET_CALL(axpy, (y, x, alpha, i0, i1)); });
}

// Gemma-2 soft-capping: y = c·tanh(x/c); dy/dx = 1 − tanh² = 1 − (y/c)². std::tanh keeps full relative
// accuracy near 0 (a 1 − 2/(e^{2z}+1) form would not); these kernels are only used by Gemma.
void softcap_forward(float* out, const float* x, int64_t len, float cap) {
  parallel_for(len, kElemGrain / 4, [&](int64_t a, int64_t b) {
    for (int64_t i = a; i < b; ++i) out[i] = cap * std::tanh(x[i] / cap);
  });
}
void softcap_backward(float* dx, const float* dout, const float* y, int64_t len, float cap) {
  parallel_for(len, kElemGrain, [&](int64_t a, int64_t b) {
    for (int64_t i = a; i < b; ++i) {
      const float t = y[i] / cap;
      dx[i] = dout[i] * (1.f - t * t);
    }
  });
}

void logprobs_forward(const float* logits, const int32_t* targets, int64_t n, int64_t v, float* logp, float* lse,
                      float* logit_sum) {
  parallel_for(n, row_grain(v), [&](int64_t a, int64_t b) {
    POET_CALL(logprobs_fwd_rows, (logits, targets, a, b, v, logp, lse, logit_sum));
  });
}

void logprobs_backward(float* dlogits, const float* dlogp, const float* logits, const float* lse,
                       const int32_t* targets, int64_t n, int64_t v) {
  parallel_for(n, row_grain(v), [&](int64_t a, int64_t b) {
    POET_CALL(logprobs_bwd_rows, (dlogits, dlogp, logits, lse, targets, a, b, v));
  });
}

}  // namespace poet
