// Single-precision GEMM, row-major: C = alpha * op(A) * op(B) + beta * C.
//   op(A) is [M, K]: A is stored [M, K] (row stride lda) or, with transA, [K, M].
//   op(B) is [K, N]: B is stored [K, N] (row stride ldb) or, with transB, [N, K].
// beta == 0 never reads C (so C may hold garbage or NaN). Parallel over the thread pool.
#pragma once
#include <cstdint>

namespace poet {

void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// `batch` independent GEMMs; matrix b uses A + b*strideA, B + b*strideB, C + b*strideC.
void sgemm_batched(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                   int64_t lda, int64_t strideA, const float* B, int64_t ldb, int64_t strideB, float beta, float* C,
                   int64_t ldc, int64_t strideC, int64_t batch);

// Serial version (used inside other parallel kernels).
void sgemm_serial(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                  int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

}  // namespace poet
