// Declarations of the non-GEMM kernels. Semantics, shapes and ACCUMULATE/OVERWRITE rules are exactly those
// of src/backend/types.ts (the Backend interface); the comments there are the contract.
#pragma once
#include <cstdint>

namespace poet {

void bias_add(float* x, const float* bias, int64_t n, int64_t d);
void bias_backward(float* dbias, const float* dout, int64_t n, int64_t d);

void embedding_forward(float* out, const float* table, const int32_t* ids, int64_t n, int64_t d, float scale);
void embedding_backward(float* dtable, const float* dout, const int32_t* ids, int64_t n, int64_t d, float scale);

void rmsnorm_forward(float* out, float* rstd, const float* x, const float* w, int64_t n, int64_t d, float eps,
                     bool add_one);
void rmsnorm_backward(float* dx, float* dw, const float* dout, const float* x, const float* w, const float* rstd,
                      int64_t n, int64_t d, bool add_one);

// inverse = false: forward rotation; true: inverse rotation (the backward pass).
void rope(float* x, const float* cos, const float* sin, const int32_t* positions, int64_t b, int64_t t, int64_t h,
          int64_t dh, bool inverse);

enum class GluAct { Silu = 0, GeluTanh = 1 };
void glu_forward(float* out, const float* gate, const float* up, int64_t len, GluAct act);
void glu_backward(float* dgate, float* dup, const float* dout, const float* gate, const float* up, int64_t len,
                  GluAct act);

void add(float* out, const float* a, const float* b, int64_t len);
void scale(float* out, const float* x, float s, int64_t len);
void axpy(float* y, const float* x, float alpha, int64_t len);

void softcap_forward(float* out, const float* x, int64_t len, float cap);
void softcap_backward(float* dx, const float* dout, const float* y, int64_t len, float cap);

void logprobs_forward(const float* logits, const int32_t* targets, int64_t n, int64_t v, float* logp, float* lse,
                      float* logit_sum);
void logprobs_backward(float* dlogits, const float* dlogp, const float* logits, const float* lse,
                       const int32_t* targets, int64_t n, int64_t v);

void adamw(float* param, const float* grad, float* m, float* v, int64_t len, double lr, double beta1, double beta2,
           double eps, double weight_decay, double step, double grad_scale);
double sum_squares(const float* x, int64_t len);

struct AttentionShape {
  int64_t b, tq, tk, tcap, hq, hkv, dh;
  float scale;
  int64_t window;  // 0 = none
  float softcap;   // 0 = none
  const int32_t* first_key;  // [B] or nullptr
};
void attention_forward(const AttentionShape& s, const float* q, const float* k, const float* v, float* out,
                       float* lse);
void attention_backward(const AttentionShape& s, const float* q, const float* k, const float* v, const float* out,
                        const float* lse, const float* dout, float* dq, float* dk, float* dv);

}  // namespace poet
