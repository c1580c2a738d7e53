// N-API surface of the native backend. Every function takes positional arguments (the TypeScript wrapper
// in src/backend/native/native_backend.ts maps the Backend interface's argument objects onto them), checks
// that every buffer is the right typed-array kind and long enough for the stated dimensions (so a wrong
// call throws instead of corrupting memory), and runs the kernel synchronously on the buffers in place.
#include <napi.h>

#include <cstdint>
#include <string>

#include "cpu.h"
#include "gemm.h"
#include "kernels.h"
#include "thread_pool.h"

namespace {

using poet::GluAct;

struct Args {
  const Napi::CallbackInfo& info;
  const char* kernel;
  Napi::Env env() const { return info.Env(); }

  [[noreturn]] void fail(const std::string& msg) const {
    throw Napi::TypeError::New(info.Env(), std::string("native ") + kernel + ": " + msg);
  }
  double num(size_t i, const char* name) const {
    if (i >= info.Length() || !info[i].IsNumber()) fail(std::string(name) + " must be a number");
    return info[i].As<Napi::Number>().DoubleValue();
  }
  int64_t dim(size_t i, const char* name) const {
    double v = num(i, name);
    if (!(v >= 0) || v != static_cast<double>(static_cast<int64_t>(v)))
      fail(std::string(name) + " must be a non-negative integer, got " + std::to_string(v));
    return static_cast<int64_t>(v);
  }
  bool flag(size_t i) const { return i < info.Length() && info[i].ToBoolean().Value(); }
  bool present(size_t i) const { return i < info.Length() && !info[i].IsNull() && !info[i].IsUndefined(); }

  template <typename T>
  T* typed(size_t i, napi_typedarray_type want, const char* tname, int64_t need, const char* name) const {
    if (i >= info.Length() || !info[i].IsTypedArray()) fail(std::string(name) + " must be a " + tname);
    Napi::TypedArray ta = info[i].As<Napi::TypedArray>();
    if (ta.TypedArrayType() != want) fail(std::string(name) + " must be a " + tname);
    auto arr = ta.As<Napi::TypedArrayOf<T>>();
    if (static_cast<int64_t>(arr.ElementLength()) < need)
      fail(std::string(name) + " has " + std::to_string(arr.ElementLength()) + " elements, needs at least " +
           std::to_string(need));
    return arr.Data();
  }
  float* f32(size_t i, int64_t need, const char* name) const {
    return typed<float>(i, napi_float32_array, "Float32Array", need, name);
  }
  int32_t* i32(size_t i, int64_t need, const char* name) const {
    return typed<int32_t>(i, napi_int32_array, "Int32Array", need, name);
  }
};

// matmul(a, b, c, m, n, k, transA, transB, accumulate, batch, strideA, strideB, strideC)
Napi::Value Matmul(const Napi::CallbackInfo& info) {
  Args a{info, "matmul"};
  const int64_t m = a.dim(3, "m"), n = a.dim(4, "n"), k = a.dim(5, "k");
  const bool ta = a.flag(6), tb = a.flag(7), acc = a.flag(8);
  const int64_t batch = a.present(9) ? a.dim(9, "batch") : 1;
  const int64_t sa = a.present(10) ? a.dim(10, "strideA") : m * k;
  const int64_t sb = a.present(11) ? a.dim(11, "strideB") : k * n;
  const int64_t sc = a.present(12) ? a.dim(12, "strideC") : m * n;
  const int64_t last = batch > 0 ? batch - 1 : 0;
  float* A = a.f32(0, batch ? last * sa + m * k : 0, "a");
  float* B = a.f32(1, batch ? last * sb + k * n : 0, "b");
  float* C = a.f32(2, batch ? last * sc + m * n : 0, "c");
  const int64_t lda = ta ? m : k, ldb = tb ? k : n;
  poet::sgemm_batched(ta, tb, m, n, k, 1.f, A, lda, sa, B, ldb, sb, acc ? 1.f : 0.f, C, n, sc, batch);
  return info.Env().Undefined();
}

// biasAdd(x, bias, n, d) / biasBackward(dBias, dOut, n, d)
Napi::Value BiasAdd(const Napi::CallbackInfo& info) {
  Args a{info, "biasAdd"};
  const int64_t n = a.dim(2, "n"), d = a.dim(3, "d");
  poet::bias_add(a.f32(0, n * d, "x"), a.f32(1, d, "bias"), n, d);
  return info.Env().Undefined();
}
Napi::Value BiasBackward(const Napi::CallbackInfo& info) {
  Args a{info, "biasBackward"};
  const int64_t n = a.dim(2, "n"), d = a.dim(3, "d");
  poet::bias_backward(a.f32(0, d, "dBias"), a.f32(1, n * d, "dOut"), n, d);
  return info.Env().Undefined();
}

// embeddingForward(out, table, ids, n, d, scale) / embeddingBackward(dTable, dOut, ids, n, d, scale)
// The table's row count is not an argument: ids are checked against the table length here.
int32_t* checked_ids(const Args& a, size_t i, int64_t n, int64_t rows) {
  int32_t* ids = a.i32(i, n, "ids");
  for (int64_t r = 0; r < n; ++r)
    if (ids[r] < 0 || ids[r] >= rows)
      a.fail("ids[" + std::to_string(r) + "] = " + std::to_string(ids[r]) + " is outside [0, " +
             std::to_string(rows) + ")");
  return ids;
}
Napi::Value EmbeddingForward(const Napi::CallbackInfo& info) {
  Args a{info, "embeddingForward"};
  const int64_t n = a.dim(3, "n"), d = a.dim(4, "d");
  const float s = static_cast<float>(a.num(5, "scale"));
  float* table = a.f32(1, 0, "table");
  const int64_t rows = d ? static_cast<int64_t>(info[1].As<Napi::Float32Array>().ElementLength()) / d : 0;
  poet::embedding_forward(a.f32(0, n * d, "out"), table, checked_ids(a, 2, n, rows), n, d, s);
  return info.Env().Undefined();
}
Napi::Value EmbeddingBackward(const Napi::CallbackInfo& info) {
  Args a{info, "embeddingBackward"};
  const int64_t n = a.dim(3, "n"), d = a.dim(4, "d");
  const float s = static_cast<float>(a.num(5, "scale"));
  float* dtable = a.f32(0, 0, "dTable");
  const int64_t rows = d ? static_cast<int64_t>(info[0].As<Napi::Float32Array>().ElementLength()) / d : 0;
  poet::embedding_backward(dtable, a.f32(1, n * d, "dOut"), checked_ids(a, 2, n, rows), n, d, s);
  return info.Env().Undefined();
}

// rmsnormForward(out, rstd, x, w, n, d, eps, addOne)
Napi::Value RmsNormForward(const Napi::CallbackInfo& info) {
  Args a{info, "rmsnormForward"};
  const int64_t n = a.dim(4, "n"), d = a.dim(5, "d");
  poet::rmsnorm_forward(a.f32(0, n * d, "out"), a.f32(1, n, "rstd"), a.f32(2, n * d, "x"), a.f32(3, d, "w"), n, d,
                        static_cast<float>(a.num(6, "eps")), a.flag(7));
  return info.Env().Undefined();
}
// rmsnormBackward(dx, dw, dOut, x, w, rstd, n, d, addOne)
Napi::Value RmsNormBackward(const Napi::CallbackInfo& info) {
  Args a{info, "rmsnormBackward"};
  const int64_t n = a.dim(6, "n"), d = a.dim(7, "d");
  poet::rmsnorm_backward(a.f32(0, n * d, "dx"), a.f32(1, d, "dw"), a.f32(2, n * d, "dOut"), a.f32(3, n * d, "x"),
                         a.f32(4, d, "w"), a.f32(5, n, "rstd"), n, d, a.flag(8));
  return info.Env().Undefined();
}

// rope(x, cos, sin, positions, b, t, h, dh, inverse)
Napi::Value Rope(const Napi::CallbackInfo& info) {
  Args a{info, "rope"};
  const int64_t b = a.dim(4, "b"), t = a.dim(5, "t"), h = a.dim(6, "h"), dh = a.dim(7, "dh");
  if (dh % 2) a.fail("dh must be even, got " + std::to_string(dh));
  float* cs = a.f32(1, 0, "cos");
  float* sn = a.f32(2, 0, "sin");
  const int64_t half = dh / 2;
  const int64_t prow = half ? static_cast<int64_t>(info[1].As<Napi::Float32Array>().ElementLength()) / half : 0;
  const int64_t prow_sin = half ? static_cast<int64_t>(info[2].As<Napi::Float32Array>().ElementLength()) / half : 0;
  int32_t* pos = a.i32(3, b * t, "positions");
  for (int64_t i = 0; i < b * t; ++i)
    if (pos[i] < 0 || pos[i] >= prow || pos[i] >= prow_sin)
      a.fail("positions[" + std::to_string(i) + "] = " + std::to_string(pos[i]) + " is outside the rope table [0, " +
             std::to_string(std::min(prow, prow_sin)) + ")");
  poet::rope(a.f32(0, b * t * h * dh, "x"), cs, sn, pos, b, t, h, dh, a.flag(8));
  return info.Env().Undefined();
}

// Attention shape args at positions [first, first + 11):
//   b, tq, tk, tcap, hq, hkv, dh, scale, window, softcap, firstKey
poet::AttentionShape attention_shape(const Args& a, size_t f) {
  poet::AttentionShape s;
  s.b = a.dim(f, "b");
  s.tq = a.dim(f + 1, "tq");
  s.tk = a.dim(f + 2, "tk");
  s.tcap = a.present(f + 3) ? a.dim(f + 3, "tcap") : s.tk;
  s.hq = a.dim(f + 4, "hq");
  s.hkv = a.dim(f + 5, "hkv");
  s.dh = a.dim(f + 6, "dh");
  s.scale = static_cast<float>(a.num(f + 7, "scale"));
  s.window = a.dim(f + 8, "window");
  s.softcap = static_cast<float>(a.num(f + 9, "softcap"));
  s.first_key = a.present(f + 10) ? a.i32(f + 10, s.b, "firstKey") : nullptr;
  if (s.hkv == 0 || s.hq % s.hkv) a.fail("hkv must divide hq (hq=" + std::to_string(s.hq) + ", hkv=" + std::to_string(s.hkv) + ")");
  if (s.tcap < s.tk) a.fail("tcap (" + std::to_string(s.tcap) + ") must be >= tk (" + std::to_string(s.tk) + ")");
  if (s.tq > s.tk) a.fail("tq (" + std::to_string(s.tq) + ") must be <= tk (" + std::to_string(s.tk) + ")");
  return s;
}

// attentionForward(q, k, v, out, lse, <shape...>)
Napi::Value AttentionForward(const Napi::CallbackInfo& info) {
  Args a{info, "attentionForward"};
  poet::AttentionShape s = attention_shape(a, 5);
  const int64_t nq = s.b * s.tq * s.hq * s.dh, nkv = s.b * s.tcap * s.hkv * s.dh;
  poet::attention_forward(s, a.f32(0, nq, "q"), a.f32(1, nkv, "k"), a.f32(2, nkv, "v"), a.f32(3, nq, "out"),
                          a.f32(4, s.b * s.hq * s.tq, "lse"));
  return info.Env().Undefined();
}

// attentionBackward(q, k, v, out, lse, dOut, dq, dk, dv, <shape...>)
Napi::Value AttentionBackward(const Napi::CallbackInfo& info) {
  Args a{info, "attentionBackward"};
  poet::AttentionShape s = attention_shape(a, 9);
  const int64_t nq = s.b * s.tq * s.hq * s.dh, nkv = s.b * s.tcap * s.hkv * s.dh;
  poet::attention_backward(s, a.f32(0, nq, "q"), a.f32(1, nkv, "k"), a.f32(2, nkv, "v"), a.f32(3, nq, "out"),
                           a.f32(4, s.b * s.hq * s.tq, "lse"), a.f32(5, nq, "dOut"), a.f32(6, nq, "dq"),
                           a.f32(7, nkv, "dk"), a.f32(8, nkv, "dv"));
  return info.Env().Undefined();
}

GluAct glu_act(const Args& a, size_t i) {
  const double v = a.num(i, "act");
  if (v == 0) return GluAct::Silu;
  if (v == 1) return GluAct::GeluTanh;
  a.fail("act code must be 0 (silu) or 1 (gelu_tanh)");
}
// gluForward(out, gate, up, len, act) / gluBackward(dGate, dUp, dOut, gate, up, len, act)
Napi::Value GluForward(const Napi::CallbackInfo& info) {
  Args a{info, "gluForward"};
  const int64_t len = a.dim(3, "len");
  poet::glu_forward(a.f32(0, len, "out"), a.f32(1, len, "gate"), a.f32(2, len, "up"), len, glu_act(a, 4));
  return info.Env().Undefined();
}
Napi::Value GluBackward(const Napi::CallbackInfo& info) {
  Args a{info, "gluBackward"};
  const int64_t len = a.dim(5, "len");
  poet::glu_backward(a.f32(0, len, "dGate"), a.f32(1, len, "dUp"), a.f32(2, len, "dOut"), a.f32(3, len, "gate"),
                     a.f32(4, len, "up"), len, glu_act(a, 6));
  return info.Env().Undefined();
}

// add(out, a, b, len) / scale(out, x, s, len) / axpy(y, x, alpha, len)
Napi::Value Add(const Napi::CallbackInfo& info) {
  Args a{info, "add"};
  const int64_t len = a.dim(3, "len");
  poet::add(a.f32(0, len, "out"), a.f32(1, len, "a"), a.f32(2, len, "b"), len);
  return info.Env().Undefined();
}
Napi::Value Scale(const Napi::CallbackInfo& info) {
  Args a{info, "scale"};
  const int64_t len = a.dim(3, "len");
  poet::scale(a.f32(0, len, "out"), a.f32(1, len, "x"), static_cast<float>(a.num(2, "s")), len);
  return info.Env().Undefined();
}
Napi::Value Axpy(const Napi::CallbackInfo& info) {
  Args a{info, "axpy"};
  const int64_t len = a.dim(3, "len");
  poet::axpy(a.f32(0, len, "y"), a.f32(1, len, "x"), static_cast<float>(a.num(2, "alpha")), len);
  return info.Env().Undefined();
}

// softcapForward(out, x, len, cap) / softcapBackward(dx, dOut, y, len, cap)
Napi::Value SoftcapForward(const Napi::CallbackInfo& info) {
  Args a{info, "softcapForward"};
  const int64_t len = a.dim(2, "len");
  poet::softcap_forward(a.f32(0, len, "out"), a.f32(1, len, "x"), len, static_cast<float>(a.num(3, "cap")));
  return info.Env().Undefined();
}
Napi::Value SoftcapBackward(const Napi::CallbackInfo& info) {
  Args a{info, "softcapBackward"};
  const int64_t len = a.dim(3, "len");
  poet::softcap_backward(a.f32(0, len, "dx"), a.f32(1, len, "dOut"), a.f32(2, len, "y"), len,
                         static_cast<float>(a.num(4, "cap")));
  return info.Env().Undefined();
}

void check_targets(const Args& a, const int32_t* t, int64_t n, int64_t v) {
  for (int64_t r = 0; r < n; ++r)
    if (t[r] != -100 && (t[r] < 0 || t[r] >= v))
      a.fail("targets[" + std::to_string(r) + "] = " + std::to_string(t[r]) + " is outside [0, " + std::to_string(v) +
             ") and is not -100");
}
// logprobsForward(logits, targets, n, v, logp, lse, logitSum)
Napi::Value LogprobsForward(const Napi::CallbackInfo& info) {
  Args a{info, "logprobsForward"};
  const int64_t n = a.dim(2, "n"), v = a.dim(3, "v");
  int32_t* t = a.i32(1, n, "targets");
  check_targets(a, t, n, v);
  poet::logprobs_forward(a.f32(0, n * v, "logits"), t, n, v, a.f32(4, n, "logp"), a.f32(5, n, "lse"),
                         a.f32(6, n, "logitSum"));
  return info.Env().Undefined();
}
// logprobsBackward(dLogits, dLogp, logits, lse, targets, n, v)
Napi::Value LogprobsBackward(const Napi::CallbackInfo& info) {
  Args a{info, "logprobsBackward"};
  const int64_t n = a.dim(5, "n"), v = a.dim(6, "v");
  int32_t* t = a.i32(4, n, "targets");
  check_targets(a, t, n, v);
  poet::logprobs_backward(a.f32(0, n * v, "dLogits"), a.f32(1, n, "dLogp"), a.f32(2, n * v, "logits"),
                          a.f32(3, n, "lse"), t, n, v);
  return info.Env().Undefined();
}

// adamw(param, grad, m, v, len, lr, beta1, beta2, eps, weightDecay, step, gradScale)
Napi::Value AdamW(const Napi::CallbackInfo& info) {
  Args a{info, "adamw"};
  const int64_t len = a.dim(4, "len");
  poet::adamw(a.f32(0, len, "param"), a.f32(1, len, "grad"), a.f32(2, len, "m"), a.f32(3, len, "v"), len,
              a.num(5, "lr"), a.num(6, "beta1"), a.num(7, "beta2"), a.num(8, "eps"), a.num(9, "weightDecay"),
              a.num(10, "step"), a.num(11, "gradScale"));
  return info.Env().Undefined();
}

// sumSquares(x, len) -> number
Napi::Value SumSquares(const Napi::CallbackInfo& info) {
  Args a{info, "sumSquares"};
  const int64_t len = a.dim(1, "len");
  return Napi::Number::New(info.Env(), poet::sum_squares(a.f32(0, len, "x"), len));
}

// info() -> { isa, threads, avx2Supported, avx512Supported }
Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("isa", poet::isa_name(poet::active_isa()));
  o.Set("threads", poet::num_threads());
  o.Set("avx2Supported", poet::cpu_has_avx2());
  o.Set("avx512Supported", poet::cpu_has_avx512());
  return o;
}

// setIsa('avx512' | 'avx2' | 'scalar') -> boolean (false if the CPU lacks it). For tests and benchmarks.
Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  Args a{info, "setIsa"};
  if (info.Length() < 1 || !info[0].IsString()) a.fail("expects 'avx512', 'avx2' or 'scalar'");
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  bool ok;
  if (name == "avx512") ok = poet::set_isa(poet::Isa::Avx512);
  else if (name == "avx2") ok = poet::set_isa(poet::Isa::Avx2);
  else if (name == "scalar") ok = poet::set_isa(poet::Isa::Scalar);
  else a.fail("expects 'avx512', 'avx2' or 'scalar', got '" + name + "'");
  return Napi::Boolean::New(info.Env(), ok);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("matmul", Napi::Function::New(env, Matmul));
  exports.Set("biasAdd", Napi::Function::New(env, BiasAdd));
  exports.Set("biasBackward", Napi::Function::New(env, BiasBackward));
  exports.Set("embeddingForward", Napi::Function::New(env, EmbeddingForward));
  exports.Set("embeddingBackward", Napi::Function::New(env, EmbeddingBackward));
  exports.Set("rmsnormForward", Napi::Function::New(env, RmsNormForward));
  exports.Set("rmsnormBackward", Napi::Function::New(env, RmsNormBackward));
  exports.Set("rope", Napi::Function::New(env, Rope));
  exports.Set("attentionForward", Napi::Function::New(env, AttentionForward));
  exports.Set("attentionBackward", Napi::Function::New(env, AttentionBackward));
  exports.Set("gluForward", Napi::Function::New(env, GluForward));
  exports.Set("gluBackward", Napi::Function::New(env, GluBackward));
  exports.Set("add", Napi::Function::New(env, Add));
  exports.Set("scale", Napi::Function::New(env, Scale));
  exports.Set("axpy", Napi::Function::New(env, Axpy));
  exports.Set("softcapForward", Napi::Function::New(env, SoftcapForward));
  exports.Set("softcapBackward", Napi::Function::New(env, SoftcapBackward));
  exports.Set("logprobsForward", Napi::Function::New(env, LogprobsForward));
  exports.Set("logprobsBackward", Napi::Function::New(env, LogprobsBackward));
  exports.Set("adamw", Napi::Function::New(env, AdamW));
  exports.Set("sumSquares", Napi::Function::New(env, SumSquares));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa));
  return exports;
}

}  // namespace

NODE_API_MODULE(poet_native, Init)
