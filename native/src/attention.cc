// Fused causal attention, forward and backward, flash style (Dao et al., FlashAttention 1 & 2, 2022/2023):
// scores are computed one [BQ, BK] tile at a time with an online softmax, so no thread ever holds more
// than one tile of the score matrix; the forward pass saves the per-row log-sum-exp for the backward pass.
// Supports GQA (query head h reads kv head h / (Hq/Hkv)), a sliding window, Gemma-2 soft-capping of the
// scores, queries sitting at the last Tq key slots (KV-cache decode) and a per-batch first visible key
// (left padding). Contract and semantics: src/backend/types.ts (AttentionForwardArgs / BackwardArgs).
//
// Tile products go through sgemm_serial (packed micro-kernel); the parallelism is over tiles/heads.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <vector>

#include "cpu.h"
#include "gemm.h"
#include "kernels.h"
#include "simd.h"
#include "thread_pool.h"

namespace poet {
namespace {

constexpr int64_t BQ = 64;  // query rows per tile
constexpr int64_t BK = 64;  // keys per tile

// Row helpers of the online softmax. x[i] = exp(x[i] − shift) for i < n (−inf → 0); returns Σ x[i].
float max_row_scalar(const float* x, int64_t n, float m) {
  for (int64_t i = 0; i < n; ++i) m = x[i] > m ? x[i] : m;  // a local: std::max's reference spills m
  return m;
}
float exp_shift_sum_scalar(float* x, int64_t n, float shift) {
  float sum = 0.f;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - shift);
    sum += x[i];
  }
  return sum;
}
#if POET_X86
POET_AVX2 float max_row_avx2(const float* x, int64_t n, float m) {
  __m256 mv = _mm256_set1_ps(m);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) mv = _mm256_max_ps(mv, _mm256_loadu_ps(x + i));
  return max_row_scalar(x + i, n - i, hmax256(mv));
}
POET_AVX2 float exp_shift_sum_avx2(float* x, int64_t n, float shift) {
  const __m256 sv = _mm256_set1_ps(shift);
  __m256 acc = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(x + i), sv));
    _mm256_storeu_ps(x + i, e);
    acc = _mm256_add_ps(acc, e);
  }
  return hsum256(acc) + exp_shift_sum_scalar(x + i, n - i, shift);
}
#else
float max_row_avx2(const float* x, int64_t n, float m) { return max_row_scalar(x, n, m); }
float exp_shift_sum_avx2(float* x, int64_t n, float shift) { return exp_shift_sum_scalar(x, n, shift); }
#endif
inline float max_row(const float* x, int64_t n, float m, bool avx2) {
  return avx2 ? max_row_avx2(x, n, m) : max_row_scalar(x, n, m);
}
inline float exp_shift_sum(float* x, int64_t n, float shift, bool avx2) {
  return avx2 ? exp_shift_sum_avx2(x, n, shift) : exp_shift_sum_scalar(x, n, shift);
}

struct Geometry {
  const AttentionShape& s;
  int64_t off;  // slot of query 0 = Tk − Tq
  int64_t qs, ks;  // row strides of q/out and k/v (elements between consecutive t)
  explicit Geometry(const AttentionShape& sh) : s(sh), off(sh.tk - sh.tq), qs(sh.hq * sh.dh), ks(sh.hkv * sh.dh) {}
  int64_t first_key(int64_t b) const { return s.first_key ? std::max<int64_t>(0, s.first_key[b]) : 0; }
  // Is every (query in [t0,t1), key in [j0,j1)) pair visible? (Then the tile needs no mask.)
  bool tile_full(int64_t t0, int64_t t1, int64_t j0, int64_t j1, int64_t fk) const {
    const int64_t imin = off + t0, imax = off + t1 - 1;
    return j0 >= fk && j1 - 1 <= imin && (s.window <= 0 || j0 > imax - s.window);
  }
  // Could any (query in [t0,t1), key in [j0,j1)) pair be visible? (A cheap test to skip empty tiles.)
  bool tile_live(int64_t t0, int64_t t1, int64_t j0, int64_t j1, int64_t fk) const {
    const int64_t imin = off + t0, imax = off + t1 - 1;
    if (j0 > imax || j1 - 1 < fk) return false;
    if (s.window > 0 && j1 - 1 <= imin - s.window) return false;
    return true;
  }
};

// Scores of one tile into S[nq, BK]: S = softcap(scale · Q Kᵀ), masked entries −inf.
void score_tile(const Geometry& g, const float* qp, const float* kp, int64_t b, int64_t t0, int64_t nq, int64_t j0,
                int64_t nk, int64_t fk, float* S) {
  const AttentionShape& s = g.s;
  sgemm_serial(false, true, nq, nk, s.dh, s.scale, qp, g.qs, kp, g.ks, 0.f, S, BK);
  const bool full = g.tile_full(t0, t0 + nq, j0, j0 + nk, fk);
  for (int64_t r = 0; r < nq; ++r) {
    float* row = S + r * BK;
    if (s.softcap > 0.f)
      for (int64_t c = 0; c < nk; ++c) row[c] = s.softcap * std::tanh(row[c] / s.softcap);
    if (full) continue;
    // Visible keys of query slot i form one interval [lo, i] (causal, window, first key): mask outside it.
    const int64_t i = g.off + t0 + r;
    int64_t lo = fk;
    if (s.window > 0) lo = std::max(lo, i - s.window + 1);
    const int64_t c_lo = std::clamp<int64_t>(lo - j0, 0, nk), c_hi = std::clamp<int64_t>(i - j0 + 1, c_lo, nk);
    std::fill(row, row + c_lo, -INFINITY);
    std::fill(row + c_hi, row + nk, -INFINITY);
  }
  (void)b;
}

struct FwdScratch {
  std::vector<float> S, O, m, l;
  void ensure(int64_t dh) {
    S.resize(BQ * BK);
    O.resize(BQ * dh);
    m.resize(BQ);
    l.resize(BQ);
  }
};
thread_local FwdScratch tl_fwd;

void forward_task(const Geometry& g, const float* q, const float* k, const float* v, float* out, float* lse,
                  int64_t b, int64_t h, int64_t t0, bool avx2) {
  const AttentionShape& s = g.s;
  const int64_t dh = s.dh, nq = std::min(BQ, s.tq - t0);
  const int64_t kvh = h / (s.hq / s.hkv);
  const int64_t fk = g.first_key(b);
  FwdScratch& sc = tl_fwd;
  sc.ensure(dh);
  float *S = sc.S.data(), *O = sc.O.data(), *m = sc.m.data(), *l = sc.l.data();
  std::fill(O, O + nq * dh, 0.f);
  std::fill(m, m + nq, -INFINITY);
  std::fill(l, l + nq, 0.f);
  const float* qp = q + ((b * s.tq + t0) * s.hq + h) * dh;
  const int64_t jhi = std::min(s.tk, g.off + t0 + nq);  // exclusive
  int64_t jlo = fk;
  if (s.window > 0) jlo = std::max(jlo, g.off + t0 - s.window + 1);
  jlo = std::max<int64_t>(0, jlo);
  for (int64_t j0 = jlo - (jlo % BK); j0 < jhi; j0 += BK) {  // tiles aligned to BK for a stable sum order
    const int64_t nk = std::min(BK, jhi - j0);
    if (!g.tile_live(t0, t0 + nq, j0, j0 + nk, fk)) continue;
    const float* kp = k + ((b * s.tcap + j0) * s.hkv + kvh) * dh;
    const float* vp = v + ((b * s.tcap + j0) * s.hkv + kvh) * dh;
    score_tile(g, qp, kp, b, t0, nq, j0, nk, fk, S);
    // Online softmax (Milakov & Gimelshein 2018): rescale the running row sums and outputs to the new max.
    for (int64_t r = 0; r < nq; ++r) {
      float* row = S + r * BK;
      const float mx = max_row(row, nk, m[r], avx2);
      if (mx == -INFINITY) {  // nothing visible yet in this row
        std::fill(row, row + nk, 0.f);
        continue;
      }
      const float alpha = std::exp(m[r] - mx);  // m = −inf → 0
      const float sum = exp_shift_sum(row, nk, mx, avx2);
      l[r] = l[r] * alpha + sum;
      m[r] = mx;
      if (alpha != 1.f) {
        float* o = O + r * dh;
        for (int64_t d = 0; d < dh; ++d) o[d] *= alpha;
      }
    }
    // O[nq, Dh] += P[nq, nk] · V[nk, Dh]
    sgemm_serial(false, false, nq, dh, nk, 1.f, S, BK, vp, g.ks, 1.f, O, dh);
  }
  for (int64_t r = 0; r < nq; ++r) {
    float* o = out + ((b * s.tq + t0 + r) * s.hq + h) * dh;
    float* lr = lse + (b * s.hq + h) * s.tq + t0 + r;
    if (l[r] == 0.f) {  // the row sees no key at all
      std::fill(o, o + dh, 0.f);
      *lr = -INFINITY;
      continue;
    }
    const float inv = 1.f / l[r];
    for (int64_t d = 0; d < dh; ++d) o[d] = O[r * dh + d] * inv;
    *lr = m[r] + std::log(l[r]);
  }
}

struct BwdScratch {
  std::vector<float> S, P, dP, D;
  void ensure(int64_t rows) {
    S.resize(BQ * BK);
    P.resize(BQ * BK);
    dP.resize(BQ * BK);
    D.resize(rows);
  }
};
thread_local BwdScratch tl_bwd;

// All query heads of kv head `kvh` in batch row b: writes dq for those heads and dk/dv of kvh (exclusive).
void backward_task(const Geometry& g, const float* q, const float* k, const float* v, const float* out,
                   const float* lse, const float* dout, float* dq, float* dk, float* dv, int64_t b, int64_t kvh,
                   bool avx2) {
  const AttentionShape& s = g.s;
  const int64_t dh = s.dh, grp = s.hq / s.hkv, fk = g.first_key(b);
  BwdScratch& sc = tl_bwd;
  sc.ensure(grp * s.tq);
  float *S = sc.S.data(), *P = sc.P.data(), *dP = sc.dP.data(), *D = sc.D.data();
  // D[h, t] = Σ_d dO · O  (FlashAttention-2, Alg. 2 line 4): the softmax-Jacobian row term.
  for (int64_t gi = 0; gi < grp; ++gi) {
    const int64_t h = kvh * grp + gi;
    for (int64_t t = 0; t < s.tq; ++t) {
      const float* o = out + ((b * s.tq + t) * s.hq + h) * dh;
      const float* d = dout + ((b * s.tq + t) * s.hq + h) * dh;
      float acc = 0.f;
      for (int64_t x = 0; x < dh; ++x) acc += o[x] * d[x];
      D[gi * s.tq + t] = acc;
    }
  }
  for (int64_t j0 = 0; j0 < s.tk; j0 += BK) {
    const int64_t nk = std::min(BK, s.tk - j0);
    if (j0 + nk - 1 < fk) continue;
    const float* kp = k + ((b * s.tcap + j0) * s.hkv + kvh) * dh;
    const float* vp = v + ((b * s.tcap + j0) * s.hkv + kvh) * dh;
    float* dkp = dk + ((b * s.tcap + j0) * s.hkv + kvh) * dh;
    float* dvp = dv + ((b * s.tcap + j0) * s.hkv + kvh) * dh;
    for (int64_t gi = 0; gi < grp; ++gi) {
      const int64_t h = kvh * grp + gi;
      for (int64_t t0 = 0; t0 < s.tq; t0 += BQ) {
        const int64_t nq = std::min(BQ, s.tq - t0);
        if (!g.tile_live(t0, t0 + nq, j0, j0 + nk, fk)) continue;
        const int64_t qoff = ((b * s.tq + t0) * s.hq + h) * dh;
        const float* lrow = lse + (b * s.hq + h) * s.tq + t0;
        score_tile(g, q + qoff, kp, b, t0, nq, j0, nk, fk, S);
        // P = exp(S − lse): the forward softmax, recomputed from the saved log-sum-exp.
        for (int64_t r = 0; r < nq; ++r) {
          float* p = P + r * BK;
          const float* srow = S + r * BK;
          if (lrow[r] == -INFINITY) {
            std::fill(p, p + nk, 0.f);
            continue;
          }
          std::memcpy(p, srow, sizeof(float) * nk);
          exp_shift_sum(p, nk, lrow[r], avx2);
        }
        // dV[nk, Dh] += Pᵀ · dO
        sgemm_serial(true, false, nk, dh, nq, 1.f, P, BK, dout + qoff, g.qs, 1.f, dvp, g.ks);
        // dP[nq, nk] = dO · Vᵀ
        sgemm_serial(false, true, nq, nk, dh, 1.f, dout + qoff, g.qs, vp, g.ks, 0.f, dP, BK);
        // dS = P ∘ (dP − D), times the soft-cap derivative 1 − (s_capped / c)² when capping (stored in P).
        for (int64_t r = 0; r < nq; ++r) {
          float* p = P + r * BK;
          const float* dpr = dP + r * BK;
          const float Dr = D[gi * s.tq + t0 + r];
          for (int64_t c = 0; c < nk; ++c) p[c] = p[c] * (dpr[c] - Dr);
          if (s.softcap > 0.f) {
            const float* srow = S + r * BK;
            for (int64_t c = 0; c < nk; ++c) {
              if (p[c] == 0.f) continue;  // masked (S = −inf) or no contribution
              const float tc = srow[c] / s.softcap;
              p[c] *= 1.f - tc * tc;
            }
          }
        }
        // dQ[nq, Dh] += scale · dS · K ;  dK[nk, Dh] += scale · dSᵀ · Q
        sgemm_serial(false, false, nq, dh, nk, s.scale, P, BK, kp, g.ks, 1.f, dq + qoff, g.qs);
        sgemm_serial(true, false, nk, dh, nq, s.scale, P, BK, q + qoff, g.qs, 1.f, dkp, g.ks);
      }
    }
  }
}

// Runs task(i) for i in [0, n) with dynamic scheduling (causal tiles differ in cost).
template <typename F>
void run_tasks(int64_t n, double flops, F task) {
  const int nt = flops < 2e6 ? 1 : static_cast<int>(std::min<int64_t>(n, num_threads()));
  std::atomic<int64_t> next{0};
  parallel_run([&](int, int) {
      for (int64_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) task(i);
    }, nt);
}

}  // namespace

void attention_forward(const AttentionShape& s, const float* q, const float* k, const float* v, float* out,
                       float* lse) {
  const Geometry g(s);
  const bool avx2 = use_avx2();
  const int64_t nqb = (s.tq + BQ - 1) / BQ;
  const double flops = 4.0 * s.b * s.hq * s.tq * static_cast<double>(s.tk) * s.dh;
  run_tasks(s.b * s.hq * nqb, flops, [&](int64_t i) {
    const int64_t qb = i % nqb, bh = i / nqb;
    forward_task(g, q, k, v, out, lse, bh / s.hq, bh % s.hq, qb * BQ, avx2);
  });
}

void attention_backward(const AttentionShape& s, const float* q, const float* k, const float* v, const float* out,
                        const float* lse, const float* dout, float* dq, float* dk, float* dv) {
  const Geometry g(s);
  const bool avx2 = use_avx2();
  const double flops = 10.0 * s.b * s.hq * s.tq * static_cast<double>(s.tk) * s.dh;
  run_tasks(s.b * s.hkv, flops, [&](int64_t i) {
    backward_task(g, q, k, v, out, lse, dout, dq, dk, dv, i / s.hkv, i % s.hkv, avx2);
  });
}

}  // namespace poet
