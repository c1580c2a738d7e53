// BLIS-style SGEMM (Goto & van de Geijn, "Anatomy of High-Performance Matrix Multiplication", 2008;
// Van Zee & van de Geijn, "BLIS", 2015). Loops, outside in:
//   jc over N in NC columns → pc over K in KC → pack op(B)[KC, NC] into NR-wide micro-panels
//   → ic over M in MC rows → pack alpha*op(A)[MC, KC] into MR-tall micro-panels
//   → jr over NR columns → ir over MR rows → micro-kernel: C[MR, NR] += Apanel[MR, KC] * Bpanel[KC, NR].
// Packing absorbs the transposes (and alpha), so one micro-kernel serves all four cases. The serial path
// (gemm_block, also used for the attention's tiles) follows these loops exactly; the parallel path
// (gemm_parallel, below) shares one packed B between the threads and hands out tiles of C dynamically.
#include "gemm.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "cpu.h"
#include "thread_pool.h"
#if POET_X86
#include <immintrin.h>
#define POET_CPU_RELAX() _mm_pause()
#else
#define POET_CPU_RELAX() std::this_thread::yield()
#endif

namespace poet {
namespace {

// Blocking (Goto & van de Geijn): the B micro-panel [KC, NR] stays in L1 while it meets every A
// micro-panel of the packed A block [MC, KC] (kept in L2); the packed B block [KC, NC] streams from L2/L3.
//   AVX2 (16 ymm): 6x16 tile = 12 accumulators; B micro-panel 16 KB, A micro-panel 6 KB.
//   AVX-512 (32 zmm): 12x32 tile = 24 accumulators; B micro-panel 32 KB, A micro-panel 12 KB (L1 is 48 KB).
constexpr int64_t KC = 256;
constexpr int64_t MC = 144;  // a multiple of both MR values; A block 144 x 256 x 4 B = 144 KB
constexpr int64_t NC = 3072; // B block 256 x 3072 x 4 B = 3 MB

struct AlignedBuf {
  float* p = nullptr;
  size_t cap = 0;
  float* get(size_t n) {
    if (n > cap) {
      std::free(p);
      p = static_cast<float*>(std::aligned_alloc(64, ((n * sizeof(float) + 63) / 64) * 64));
      cap = n;
    }
    return p;
  }
  ~AlignedBuf() { std::free(p); }
};

thread_local AlignedBuf tl_apack, tl_bpack;

// Both "gather" packings (A not transposed, B transposed) are the same operation: L source rows, each
// contiguous along k, become k-major groups of `stride` floats:
//   out[p * stride + l] = alpha * rows[l][p]  for l < nrows;  0 for nrows <= l < stride.
alignas(64) const float kZeros[KC] = {};

void gather_rows_scalar(const float* const* rows, int64_t nrows, int64_t stride, int64_t kc, float alpha, float* out) {
  for (int64_t p = 0; p < kc; ++p)
    for (int64_t l = 0; l < stride; ++l) out[p * stride + l] = l < nrows ? alpha * rows[l][p] : 0.f;
}

#if POET_X86
// 8 rows x 8 columns at a time: load, transpose in registers, store 8 contiguous floats per k (masked
// when the group has fewer than 8 lanes).
POET_AVX2 void gather_rows_avx2(const float* const* rows, int64_t nrows, int64_t stride, int64_t kc, float alpha,
                                float* out) {
  const __m256 av = _mm256_set1_ps(alpha);
  const int64_t kc8 = kc / 8 * 8;
  for (int64_t g = 0; g < stride; g += 8) {
    const int64_t lanes = std::min<int64_t>(8, stride - g);
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(lanes)),
                                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const float* r[8];
    for (int l = 0; l < 8; ++l) r[l] = g + l < nrows ? rows[g + l] : kZeros;
    for (int64_t p = 0; p < kc8; p += 8) {
      __m256 x0 = _mm256_loadu_ps(r[0] + p), x1 = _mm256_loadu_ps(r[1] + p), x2 = _mm256_loadu_ps(r[2] + p),
             x3 = _mm256_loadu_ps(r[3] + p), x4 = _mm256_loadu_ps(r[4] + p), x5 = _mm256_loadu_ps(r[5] + p),
             x6 = _mm256_loadu_ps(r[6] + p), x7 = _mm256_loadu_ps(r[7] + p);
      // 8x8 transpose: unpack pairs, shuffle quads, swap 128-bit halves.
      __m256 t0 = _mm256_unpacklo_ps(x0, x1), t1 = _mm256_unpackhi_ps(x0, x1), t2 = _mm256_unpacklo_ps(x2, x3),
             t3 = _mm256_unpackhi_ps(x2, x3), t4 = _mm256_unpacklo_ps(x4, x5), t5 = _mm256_unpackhi_ps(x4, x5),
             t6 = _mm256_unpacklo_ps(x6, x7), t7 = _mm256_unpackhi_ps(x6, x7);
      __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE),
             s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE),
             s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE),
             s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
      __m256 y[8] = {_mm256_permute2f128_ps(s0, s4, 0x20), _mm256_permute2f128_ps(s1, s5, 0x20),
                     _mm256_permute2f128_ps(s2, s6, 0x20), _mm256_permute2f128_ps(s3, s7, 0x20),
                     _mm256_permute2f128_ps(s0, s4, 0x31), _mm256_permute2f128_ps(s1, s5, 0x31),
                     _mm256_permute2f128_ps(s2, s6, 0x31), _mm256_permute2f128_ps(s3, s7, 0x31)};
      float* o = out + p * stride + g;
      if (alpha != 1.f)
        for (int q = 0; q < 8; ++q) y[q] = _mm256_mul_ps(y[q], av);
      if (lanes == 8) {
        for (int q = 0; q < 8; ++q) _mm256_storeu_ps(o + q * stride, y[q]);
      } else {
        for (int q = 0; q < 8; ++q) _mm256_maskstore_ps(o + q * stride, mask, y[q]);
      }
    }
    for (int64_t p = kc8; p < kc; ++p)
      for (int64_t l = 0; l < lanes; ++l) out[p * stride + g + l] = g + l < nrows ? alpha * rows[g + l][p] : 0.f;
  }
}
#endif

void gather_rows(const float* const* rows, int64_t nrows, int64_t stride, int64_t kc, float alpha, float* out) {
#if POET_X86
  if (use_avx2() && kc <= KC) return gather_rows_avx2(rows, nrows, stride, kc, alpha, out);
#endif
  gather_rows_scalar(rows, nrows, stride, kc, alpha, out);
}

// Packs alpha * op(A)[i0:i0+mc, p0:p0+kc] as ceil(mc/MR) micro-panels laid out [panel][k][MR], rows past
// mc zero-filled so the micro-kernel never branches.
template <int64_t MR>
void pack_a(bool transA, const float* A, int64_t lda, int64_t i0, int64_t p0, int64_t mc, int64_t kc, float alpha,
            float* dst) {
  for (int64_t ir = 0; ir < mc; ir += MR) {
    const int64_t m = std::min(MR, mc - ir);
    float* d = dst + ir * kc;
    if (!transA) {
      const float* rows[MR];
      for (int64_t i = 0; i < m; ++i) rows[i] = A + (i0 + ir + i) * lda + p0;
      gather_rows(rows, m, MR, kc, alpha, d);
    } else if (m == MR) {  // A stored [K, M]: op(A)[i, p] = A[p, i]; panel rows are contiguous in memory
      for (int64_t p = 0; p < kc; ++p) {
        const float* src = A + (p0 + p) * lda + i0 + ir;
        for (int64_t i = 0; i < MR; ++i) d[p * MR + i] = alpha * src[i];
      }
    } else {
      for (int64_t p = 0; p < kc; ++p) {
        const float* src = A + (p0 + p) * lda + i0 + ir;
        for (int64_t i = 0; i < MR; ++i) d[p * MR + i] = i < m ? alpha * src[i] : 0.f;
      }
    }
  }
}

// Packs op(B)[p0:p0+kc, j0:j0+nc] as ceil(nc/NR) micro-panels laid out [panel][k][NR], zero-padded.
template <int64_t NR>
void pack_b(bool transB, const float* B, int64_t ldb, int64_t p0, int64_t j0, int64_t kc, int64_t nc, float* dst) {
  for (int64_t jr = 0; jr < nc; jr += NR) {
    const int64_t n = std::min(NR, nc - jr);
    float* d = dst + jr * kc;
    if (!transB) {
      for (int64_t p = 0; p < kc; ++p) {
        const float* src = B + (p0 + p) * ldb + j0 + jr;
        float* o = d + p * NR;
        if (n == NR) {
          std::memcpy(o, src, NR * sizeof(float));
        } else {
          for (int64_t j = 0; j < NR; ++j) o[j] = j < n ? src[j] : 0.f;
        }
      }
    } else {  // B stored [N, K]: each panel column is a contiguous source row
      const float* rows[NR];
      for (int64_t j = 0; j < n; ++j) rows[j] = B + (j0 + jr + j) * ldb + p0;
      gather_rows(rows, n, NR, kc, 1.f, d);
    }
  }
}

// C[MR, NR] = Apanel * Bpanel + beta * C   (beta == 0: C is not read)
constexpr int64_t MR = 6, NR = 16;  // the scalar and AVX2 tile
// Portable micro-kernel written with GCC/Clang vector extensions (SSE2 on baseline x86-64, NEON on ARM):
// 6 rows x 4 vectors of 4 floats.
typedef float v4f __attribute__((vector_size(16)));
void ukernel_scalar(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float beta) {
  v4f acc[MR][NR / 4];
  for (int64_t i = 0; i < MR; ++i)
    for (int64_t j = 0; j < NR / 4; ++j) acc[i][j] = v4f{0.f, 0.f, 0.f, 0.f};
  for (int64_t p = 0; p < kc; ++p) {
    v4f bv[NR / 4];
    for (int64_t j = 0; j < NR / 4; ++j) std::memcpy(&bv[j], b + p * NR + 4 * j, sizeof(v4f));
    for (int64_t i = 0; i < MR; ++i) {
      const float ai = a[p * MR + i];
      const v4f av = {ai, ai, ai, ai};
      for (int64_t j = 0; j < NR / 4; ++j) acc[i][j] += av * bv[j];
    }
  }
  for (int64_t i = 0; i < MR; ++i) {
    float row[NR];
    std::memcpy(row, acc[i], sizeof(row));
    for (int64_t j = 0; j < NR; ++j) c[i * ldc + j] = beta == 0.f ? row[j] : row[j] + beta * c[i * ldc + j];
  }
}

#if POET_X86
POET_AVX2 void ukernel_avx2(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float beta) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(),
         c11 = _mm256_setzero_ps(), c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(),
         c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(), c40 = _mm256_setzero_ps(),
         c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
#define POET_STEP(off)                                            \
  {                                                               \
    __m256 b0 = _mm256_load_ps(b + (off) * NR);                   \
    __m256 b1 = _mm256_load_ps(b + (off) * NR + 8);               \
    __m256 av = _mm256_broadcast_ss(a + (off) * MR + 0);          \
    c00 = _mm256_fmadd_ps(av, b0, c00);                           \
    c01 = _mm256_fmadd_ps(av, b1, c01);                           \
    av = _mm256_broadcast_ss(a + (off) * MR + 1);                 \
    c10 = _mm256_fmadd_ps(av, b0, c10);                           \
    c11 = _mm256_fmadd_ps(av, b1, c11);                           \
    av = _mm256_broadcast_ss(a + (off) * MR + 2);                 \
    c20 = _mm256_fmadd_ps(av, b0, c20);                           \
    c21 = _mm256_fmadd_ps(av, b1, c21);                           \
    av = _mm256_broadcast_ss(a + (off) * MR + 3);                 \
    c30 = _mm256_fmadd_ps(av, b0, c30);                           \
    c31 = _mm256_fmadd_ps(av, b1, c31);                           \
    av = _mm256_broadcast_ss(a + (off) * MR + 4);                 \
    c40 = _mm256_fmadd_ps(av, b0, c40);                           \
    c41 = _mm256_fmadd_ps(av, b1, c41);                           \
    av = _mm256_broadcast_ss(a + (off) * MR + 5);                 \
    c50 = _mm256_fmadd_ps(av, b0, c50);                           \
    c51 = _mm256_fmadd_ps(av, b1, c51);                           \
  }
  int64_t p = 0;
  for (; p + 4 <= kc; p += 4) {
    _mm_prefetch(reinterpret_cast<const char*>(b + 8 * NR), _MM_HINT_T0);
    POET_STEP(0) POET_STEP(1) POET_STEP(2) POET_STEP(3)
    a += 4 * MR;
    b += 4 * NR;
  }
  for (; p < kc; ++p) {
    POET_STEP(0)
    a += MR;
    b += NR;
  }
#undef POET_STEP
  __m256 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  if (beta == 0.f) {
    for (int i = 0; i < MR; ++i) {
      _mm256_storeu_ps(c + i * ldc, acc[i][0]);
      _mm256_storeu_ps(c + i * ldc + 8, acc[i][1]);
    }
  } else if (beta == 1.f) {
    for (int i = 0; i < MR; ++i) {
      _mm256_storeu_ps(c + i * ldc, _mm256_add_ps(acc[i][0], _mm256_loadu_ps(c + i * ldc)));
      _mm256_storeu_ps(c + i * ldc + 8, _mm256_add_ps(acc[i][1], _mm256_loadu_ps(c + i * ldc + 8)));
    }
  } else {
    __m256 bv = _mm256_set1_ps(beta);
    for (int i = 0; i < MR; ++i) {
      _mm256_storeu_ps(c + i * ldc, _mm256_fmadd_ps(bv, _mm256_loadu_ps(c + i * ldc), acc[i][0]));
      _mm256_storeu_ps(c + i * ldc + 8, _mm256_fmadd_ps(bv, _mm256_loadu_ps(c + i * ldc + 8), acc[i][1]));
    }
  }
}
#endif

#if POET_X86
// 12x32 tile with AVX-512: 24 zmm accumulators, 2 zmm of B and one broadcast per k step.
POET_AVX512 void ukernel_avx512(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float beta) {
  constexpr int R = 12;
  __m512 acc0[R], acc1[R];
#pragma GCC unroll 12
  for (int i = 0; i < R; ++i) {
    acc0[i] = _mm512_setzero_ps();
    acc1[i] = _mm512_setzero_ps();
  }
  for (int64_t p = 0; p < kc; ++p) {
    const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
    _mm_prefetch(reinterpret_cast<const char*>(b + 8 * 32), _MM_HINT_T0);
#pragma GCC unroll 12
    for (int i = 0; i < R; ++i) {
      const __m512 av = _mm512_set1_ps(a[i]);
      acc0[i] = _mm512_fmadd_ps(av, b0, acc0[i]);
      acc1[i] = _mm512_fmadd_ps(av, b1, acc1[i]);
    }
    a += R;
    b += 32;
  }
  const __m512 bv = _mm512_set1_ps(beta);
#pragma GCC unroll 12
  for (int i = 0; i < R; ++i) {
    float* ci = c + i * ldc;
    if (beta == 0.f) {
      _mm512_storeu_ps(ci, acc0[i]);
      _mm512_storeu_ps(ci + 16, acc1[i]);
    } else {
      _mm512_storeu_ps(ci, _mm512_fmadd_ps(bv, _mm512_loadu_ps(ci), acc0[i]));
      _mm512_storeu_ps(ci + 16, _mm512_fmadd_ps(bv, _mm512_loadu_ps(ci + 16), acc1[i]));
    }
  }
}
#endif

using UKernel = void (*)(int64_t, const float*, const float*, float*, int64_t, float);

// One thread's GEMM on the block C[m0:m1, n0:n1] (all of K), with an MRxNR micro-kernel.
template <int64_t TM, int64_t TN>
void gemm_block_t(UKernel uk, bool transA, bool transB, int64_t m0, int64_t m1, int64_t n0, int64_t n1, int64_t K,
                  float alpha, const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                  int64_t ldc) {
  const int64_t kc_max = std::min(KC, K);
  const int64_t nc_max = std::min(NC, ((n1 - n0 + TN - 1) / TN) * TN);
  const int64_t mc_max = std::min(MC, ((m1 - m0 + TM - 1) / TM) * TM);
  float* bp = tl_bpack.get(static_cast<size_t>(kc_max * nc_max));
  float* ap = tl_apack.get(static_cast<size_t>(kc_max * mc_max));
  alignas(64) float tmp[TM * TN];
  for (int64_t jc = n0; jc < n1; jc += NC) {
    const int64_t nc = std::min(NC, n1 - jc);
    for (int64_t pc = 0; pc < K; pc += KC) {
      const int64_t kc = std::min(KC, K - pc);
      const float beta_k = pc == 0 ? beta : 1.f;  // later K blocks accumulate onto the first
      pack_b<TN>(transB, B, ldb, pc, jc, kc, nc, bp);
      for (int64_t ic = m0; ic < m1; ic += MC) {
        const int64_t mc = std::min(MC, m1 - ic);
        pack_a<TM>(transA, A, lda, ic, pc, mc, kc, alpha, ap);
        for (int64_t jr = 0; jr < nc; jr += TN) {
          const int64_t n = std::min(TN, nc - jr);
          for (int64_t ir = 0; ir < mc; ir += TM) {
            const int64_t m = std::min(TM, mc - ir);
            float* c = C + (ic + ir) * ldc + jc + jr;
            if (m == TM && n == TN) {
              uk(kc, ap + ir * kc, bp + jr * kc, c, ldc, beta_k);
            } else {  // edge tile: compute the full tile into a scratch buffer, merge the valid part
              uk(kc, ap + ir * kc, bp + jr * kc, tmp, TN, 0.f);
              for (int64_t i = 0; i < m; ++i)
                for (int64_t j = 0; j < n; ++j)
                  c[i * ldc + j] = beta_k == 0.f ? tmp[i * TN + j] : tmp[i * TN + j] + beta_k * c[i * ldc + j];
            }
          }
        }
      }
    }
  }
}

// Micro-tile shape of the active path (threads split C in whole tiles).
void tile_dims(int64_t& mr, int64_t& nr) {
  if (active_isa() == Isa::Avx512) {
    mr = 12;
    nr = 32;
  } else {
    mr = MR;
    nr = NR;
  }
}

void gemm_block(bool transA, bool transB, int64_t m0, int64_t m1, int64_t n0, int64_t n1, int64_t K, float alpha,
                const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (m1 <= m0 || n1 <= n0) return;
  if (K == 0 || alpha == 0.f) {  // C = beta * C only
    for (int64_t i = m0; i < m1; ++i)
      for (int64_t j = n0; j < n1; ++j) C[i * ldc + j] = beta == 0.f ? 0.f : beta * C[i * ldc + j];
    return;
  }
#if POET_X86
  switch (active_isa()) {
    case Isa::Avx512:
      return gemm_block_t<12, 32>(ukernel_avx512, transA, transB, m0, m1, n0, n1, K, alpha, A, lda, B, ldb, beta, C, ldc);
    case Isa::Avx2:
      return gemm_block_t<MR, NR>(ukernel_avx2, transA, transB, m0, m1, n0, n1, K, alpha, A, lda, B, ldb, beta, C, ldc);
    default:
      break;
  }
#endif
  gemm_block_t<MR, NR>(ukernel_scalar, transA, transB, m0, m1, n0, n1, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

// ---------------------------------------------------------------------------------- parallel GEMM
// Work is handed out dynamically (atomic counters), not split statically, so a thread slowed down by other
// load on its core does not hold the whole product back. Per block of N columns:
//   1. packing tasks: the threads pack op(B)[all K, block] together into one shared buffer;
//   2. compute tasks: tiles of C (row blocks x column chunks, all of K), each packing its own A rows.
// A thread that runs out of packing work waits (spin, then yield) until all of B is packed.

constexpr int64_t kSharedBFloats = int64_t(8) << 20;  // 32 MB cap on the shared packed B block

struct SharedB {
  AlignedBuf buf;
  std::mutex mu;  // one parallel GEMM at a time uses the shared buffer
};
SharedB& shared_b() {
  static SharedB* s = new SharedB();  // leaked: no destruction order issues at exit
  return *s;
}

template <int64_t TM, int64_t TN>
void gemm_parallel_t(UKernel uk, bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                     const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
                     float* bp, int64_t ncb, int nt) {
  // Row blocks: a multiple of nt of them (>= 2 per thread, each <= MC rows), the TM-row tiles divided
  // evenly among them — uneven blocks (e.g. 5 of 96 rows + 1 of 32) would leave one thread idle at the end.
  // Column chunks are added when there are too few row tiles.
  const int64_t want = 2 * static_cast<int64_t>(nt);
  const int64_t row_tiles = (M + TM - 1) / TM;
  int64_t row_tasks = std::max(want, (row_tiles + MC / TM - 1) / (MC / TM));
  row_tasks = std::min(row_tiles, (row_tasks + nt - 1) / nt * nt);
  const int64_t mc = (row_tiles + row_tasks - 1) / row_tasks * TM;  // largest block
  for (int64_t jc = 0; jc < N; jc += ncb) {
    const int64_t nc = std::min(ncb, N - jc);
    const int64_t npanels = (nc + TN - 1) / TN;
    const int64_t nc_round = npanels * TN;
    const int64_t col_chunks = std::max<int64_t>(1, std::min(npanels, (want + row_tasks - 1) / row_tasks));
    const int64_t ntasks = row_tasks * col_chunks;
    const int64_t nkb = (K + KC - 1) / KC;
    const int64_t pgroup = 8;  // B panels per packing task
    const int64_t npack = nkb * ((npanels + pgroup - 1) / pgroup);
    std::atomic<int64_t> pack_next{0}, pack_done{0}, task_next{0};
    parallel_run([&](int, int) {
        // 1. pack op(B)[:, jc:jc+nc]: block pc starts at bp + pc * nc_round, panel jr at + jr * kc
        for (int64_t i = pack_next.fetch_add(1); i < npack; i = pack_next.fetch_add(1)) {
          const int64_t kb = i % nkb, g = i / nkb;
          const int64_t pc = kb * KC, kc = std::min(KC, K - pc);
          const int64_t c0 = g * pgroup * TN, c1 = std::min(nc, c0 + pgroup * TN);
          pack_b<TN>(transB, B, ldb, pc, jc + c0, kc, c1 - c0, bp + pc * nc_round + c0 * kc);
          pack_done.fetch_add(1, std::memory_order_release);
        }
        for (int spin = 0; pack_done.load(std::memory_order_acquire) < npack; ++spin) {
          if (spin < 20000) POET_CPU_RELAX();
          else std::this_thread::yield();
        }
        // 2. tiles of C
        float* ap = tl_apack.get(static_cast<size_t>(std::min(KC, K) * mc));
        alignas(64) float tmp[TM * TN];
        for (int64_t t = task_next.fetch_add(1); t < ntasks; t = task_next.fetch_add(1)) {
          const int64_t rt = t / col_chunks, ct = t % col_chunks;
          const int64_t i0 = row_tiles * rt / row_tasks * TM;
          const int64_t mrows = std::min(M, row_tiles * (rt + 1) / row_tasks * TM) - i0;
          const int64_t j0 = npanels * ct / col_chunks * TN, j1 = std::min(nc, npanels * (ct + 1) / col_chunks * TN);
          for (int64_t pc = 0; pc < K; pc += KC) {
            const int64_t kc = std::min(KC, K - pc);
            const float beta_k = pc == 0 ? beta : 1.f;
            const float* bpk = bp + pc * nc_round;
            pack_a<TM>(transA, A, lda, i0, pc, mrows, kc, alpha, ap);
            for (int64_t jr = j0; jr < j1; jr += TN) {
              const int64_t n = std::min(TN, j1 - jr);
              for (int64_t ir = 0; ir < mrows; ir += TM) {
                const int64_t m = std::min(TM, mrows - ir);
                float* c = C + (i0 + ir) * ldc + jc + jr;
                if (m == TM && n == TN) {
                  uk(kc, ap + ir * kc, bpk + jr * kc, c, ldc, beta_k);
                } else {
                  uk(kc, ap + ir * kc, bpk + jr * kc, tmp, TN, 0.f);
                  for (int64_t i = 0; i < m; ++i)
                    for (int64_t j = 0; j < n; ++j)
                      c[i * ldc + j] = beta_k == 0.f ? tmp[i * TN + j] : tmp[i * TN + j] + beta_k * c[i * ldc + j];
                }
              }
            }
          }
        }
      }, nt);
  }
}

// Returns false when the shared buffer is busy (another JS thread is in a parallel GEMM): the caller then
// computes serially with its own thread-local buffers.
bool gemm_parallel(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                   int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc, int nt) {
  SharedB& sb = shared_b();
  std::unique_lock<std::mutex> lk(sb.mu, std::try_to_lock);
  if (!lk.owns_lock()) return false;
  int64_t TM, TN;
  tile_dims(TM, TN);
  (void)TM;
  // Columns per shared block: all of N when K x N fits the cap.
  int64_t ncb = std::max<int64_t>(TN, (kSharedBFloats / std::max<int64_t>(K, 1)) / TN * TN);
  ncb = std::min(ncb, (N + TN - 1) / TN * TN);
  float* bp = sb.buf.get(static_cast<size_t>(K * ncb));
#if POET_X86
  if (active_isa() == Isa::Avx512) {
    gemm_parallel_t<12, 32>(ukernel_avx512, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bp, ncb, nt);
    return true;
  }
  if (active_isa() == Isa::Avx2) {
    gemm_parallel_t<MR, NR>(ukernel_avx2, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bp, ncb, nt);
    return true;
  }
#endif
  gemm_parallel_t<MR, NR>(ukernel_scalar, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bp, ncb, nt);
  return true;
}

}  // namespace

void sgemm_serial(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                  int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  gemm_block(transA, transB, 0, M, 0, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  // Below ~1 MFLOP the wake-up of a second thread costs more than it saves.
  const double flops = 2.0 * M * N * (K > 0 ? K : 1);
  const int nt = num_threads();
  if (flops < 1e6 || nt == 1 || K == 0 || alpha == 0.f ||
      !gemm_parallel(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, nt)) {
    gemm_block(transA, transB, 0, M, 0, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  }
}

void sgemm_batched(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                   int64_t lda, int64_t strideA, const float* B, int64_t ldb, int64_t strideB, float beta, float* C,
                   int64_t ldc, int64_t strideC, int64_t batch) {
  if (batch <= 0 || M <= 0 || N <= 0) return;
  if (batch == 1) return sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  const int nt = num_threads();
  if (batch >= 2 * nt) {  // whole matrices as tasks, handed out dynamically
    std::atomic<int64_t> next{0};
    parallel_run([&](int, int) {
      for (int64_t b = next.fetch_add(1); b < batch; b = next.fetch_add(1))
        gemm_block(transA, transB, 0, M, 0, N, K, alpha, A + b * strideA, lda, B + b * strideB, ldb, beta,
                   C + b * strideC, ldc);
    });
    return;
  }
  for (int64_t b = 0; b < batch; ++b)
    sgemm(transA, transB, M, N, K, alpha, A + b * strideA, lda, B + b * strideB, ldb, beta, C + b * strideC, ldc);
}

}  // namespace poet
