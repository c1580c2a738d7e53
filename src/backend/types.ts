/**
 * The kernel interface (`Backend`) that every compute backend implements: `js` (src/backend/js/, the
 * portable reference) and `native` (src/backend/native/, C++ via N-API). The tape and the models call only
 * these kernels, so adding a backend means implementing this one interface.
 *
 * Changelog (additions only unless noted; keep this list when editing):
 *   v1 — first version: matmul, bias, embedding, rmsnorm, rope, attention, glu, elementwise, softcap,
 *        fused log-probs, adamw, sumSquares.
 *   v2 — FIX (semantics change): logprobsBackward is the derivative of logp itself,
 *        dLogits = dLogp · (onehot − softmax). v1 said (softmax − onehot), which is the derivative of −logp
 *        and flips every gradient's sign. Fields unchanged.
 *
 * Conventions (all kernels):
 * - Buffers are fp32 `Float32Array` (token ids / positions: `Int32Array`), row-major, contiguous, and are
 *   passed as views (a `subarray` is fine: kernels index from the view's element 0).
 * - Outputs are preallocated by the caller with at least the documented size. Kernels never allocate
 *   outputs and never resize anything. All calls are synchronous (native threads join before returning).
 * - Every dimension is explicit; kernels do not infer sizes from buffer lengths (they may assert them).
 * - Each kernel takes ONE argument object whose field names are part of the contract.
 * - Gradient semantics are stated per kernel with one of these words:
 *     ACCUMULATE: `grad += contribution` (the caller zeroes gradient buffers once per backward pass);
 *     OVERWRITE:  `out = value` (previous contents ignored).
 *   Rule of thumb: every backward kernel ACCUMULATES into every gradient it produces, except
 *   `ropeBackward` (in place), `softcapBackward` (OVERWRITE, in place allowed) and `logprobsBackward`
 *   (OVERWRITE into a scratch chunk of dlogits).
 * - Shapes in comments use: B batch, T (Tq, Tk) sequence, H heads (Hq query heads, Hkv key/value heads),
 *   Dh head dim, D hidden, I intermediate, V vocab, N = number of rows (usually B·T).
 * - Aliasing: inputs and outputs must not overlap unless a kernel says "in place allowed".
 */

/** Float buffer type of the interface. */
export type F32 = Float32Array;
/** Integer buffer type (token ids, targets, positions). */
export type I32 = Int32Array;

/** Which activation a gated MLP uses: HF `silu` (SwiGLU) or `gelu_pytorch_tanh` (GeGLU, Gemma). */
export type GluActivation = 'silu' | 'gelu_tanh';

export interface MatmulArgs {
  /**
   * C[M,N] (+)= op(A) · op(B), repeated `batch` times.
   * op(A) is [M,K]: A is stored [M,K] (transA false) or [K,M] (transA true).
   * op(B) is [K,N]: B is stored [K,N] (transB false) or [N,K] (transB true).
   * A linear layer y = x·Wᵀ with HF weight W [out,in] is `matmul({a:x, b:W, transB:true, m:N, n:out, k:in})`.
   */
  a: F32;
  b: F32;
  c: F32;
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
  /** true: C += op(A)·op(B) (ACCUMULATE); false/absent: C = op(A)·op(B) (OVERWRITE). */
  accumulate?: boolean;
  /** Number of independent products (default 1). Matrix i uses a + i·strideA, b + i·strideB, c + i·strideC. */
  batch?: number;
  /** Element strides between consecutive batch matrices (default: the matrix sizes, i.e. densely packed). */
  strideA?: number;
  strideB?: number;
  strideC?: number;
}

export interface BiasAddArgs {
  /** x[N,D] += bias[D] on every row (in place). */
  x: F32;
  bias: F32;
  n: number;
  d: number;
}

export interface BiasBackwardArgs {
  /** dBias[D] += Σ_rows dOut[N,D] (ACCUMULATE). */
  dBias: F32;
  dOut: F32;
  n: number;
  d: number;
}

export interface EmbeddingForwardArgs {
  /** out[N,D] = scale · table[ids[n], :] (OVERWRITE). ids must be in [0, V); the caller validates them. */
  out: F32;
  table: F32;
  ids: I32;
  n: number;
  d: number;
  /** Multiplier (Gemma-2: fp32(sqrt(hidden_size)); others 1). */
  scale: number;
}

export interface EmbeddingBackwardArgs {
  /** dTable[ids[n], :] += scale · dOut[n, :] (ACCUMULATE, scatter-add; repeated ids add up). */
  dTable: F32;
  dOut: F32;
  ids: I32;
  n: number;
  d: number;
  scale: number;
}

export interface RmsNormForwardArgs {
  /**
   * HF LlamaRMSNorm / Gemma2RMSNorm, per row n of x[N,D]:
   *   rstd[n] = 1 / sqrt(mean_d(x²) + eps)
   *   out[n,d] = x[n,d] · rstd[n] · (w[d] + (addOne ? 1 : 0))       (OVERWRITE out and rstd)
   * Gemma-2 uses addOne (its weight is stored as an offset from 1).
   */
  out: F32;
  /** [N], saved for the backward pass. */
  rstd: F32;
  x: F32;
  w: F32;
  n: number;
  d: number;
  eps: number;
  addOne: boolean;
}

export interface RmsNormBackwardArgs {
  /**
   * With ŵ = w + addOne, x̂ = x·rstd, g = dOut·ŵ:
   *   dx[n,:] += rstd · (g − x̂ · mean_d(g·x̂))       (ACCUMULATE)
   *   dw[d]   += Σ_n dOut[n,d] · x̂[n,d]              (ACCUMULATE)
   */
  dx: F32;
  dw: F32;
  dOut: F32;
  x: F32;
  w: F32;
  rstd: F32;
  n: number;
  d: number;
  addOne: boolean;
}

export interface RopeArgs {
  /**
   * Rotary position embedding, IN PLACE on x[B,T,H,Dh] (HF `rotate_half` convention: the two halves of
   * each head are the pair (x_i, x_{i+Dh/2})). For token (b,t) at p = positions[b·T + t], i < Dh/2:
   *   x_i'        = x_i · cos[p,i] − x_{i+Dh/2} · sin[p,i]
   *   x_{i+Dh/2}' = x_{i+Dh/2} · cos[p,i] + x_i · sin[p,i]
   * Backward is the inverse rotation (sin → −sin), also in place on the gradient.
   */
  x: F32;
  /** [P, Dh/2] tables built by src/tensor/rope_tables.ts (rope_theta and Llama-3 rope_scaling applied). */
  cos: F32;
  sin: F32;
  /** [B·T] position of every token; must be in [0, P). */
  positions: I32;
  b: number;
  t: number;
  h: number;
  dh: number;
}

export interface AttentionCommon {
  /** Queries [B, Tq, Hq, Dh]. */
  q: F32;
  /** Keys and values [B, Tcap, Hkv, Dh]; only key slots 0..Tk-1 are read. */
  k: F32;
  v: F32;
  b: number;
  tq: number;
  tk: number;
  /** Slot capacity of k/v along T (≥ tk; a KV cache is preallocated to its max length). Default tk. */
  tcap?: number;
  hq: number;
  /** Hkv divides Hq; query head h reads key/value head floor(h / (Hq/Hkv)) (HF repeat_kv). */
  hkv: number;
  dh: number;
  /** Score multiplier (HF: head_dim^-0.5; Gemma-2: query_pre_attn_scalar^-0.5). */
  scale: number;
  /**
   * Sliding window W (0 = none). Query at slot i sees key j iff i − W < j ≤ i (HF semantics).
   * Query t sits at slot i = Tk − Tq + t (KV-cache decode: the queries are the last Tq slots).
   */
  window: number;
  /** Score soft-capping c (0 = none): s ← c·tanh(s/c), applied after scaling, before masking (Gemma-2). */
  softcap: number;
  /**
   * Optional [B] first valid key slot per batch row (left padding in batched generation): key j is visible
   * only if j ≥ firstKey[b]. Query rows that see no key at all produce out = 0, lse = −Infinity.
   */
  firstKey?: I32 | null;
}

export interface AttentionForwardArgs extends AttentionCommon {
  /**
   * Causal (grouped-query) attention, flash style: never materialises more than a tile of scores.
   * out[b,t,h,:] = Σ_j softmax_j(s_tj) · v[b,j,kvh,:] with s = softcap(scale · q·k) over visible keys.
   * OVERWRITE out and lse.
   */
  out: F32;
  /** [B, Hq, Tq] per-row log-sum-exp of the (capped) scores, saved for backward. */
  lse: F32;
}

export interface AttentionBackwardArgs extends AttentionCommon {
  /** Forward output [B,Tq,Hq,Dh] and lse [B,Hq,Tq] as saved by attentionForward. */
  out: F32;
  lse: F32;
  dOut: F32;
  /** ACCUMULATE: dq [B,Tq,Hq,Dh]; dk, dv [B,Tcap,Hkv,Dh] (only slots < Tk touched). */
  dq: F32;
  dk: F32;
  dv: F32;
}

export interface GluForwardArgs {
  /** out[N·I] = act(gate) · up (OVERWRITE). act = silu or tanh-approximated GELU (gelu_pytorch_tanh). */
  out: F32;
  gate: F32;
  up: F32;
  /** Number of elements (N·I). */
  len: number;
  act: GluActivation;
}

export interface GluBackwardArgs {
  /** dGate += dOut · up · act'(gate); dUp += dOut · act(gate)   (ACCUMULATE). */
  dGate: F32;
  dUp: F32;
  dOut: F32;
  gate: F32;
  up: F32;
  len: number;
  act: GluActivation;
}

export interface SoftcapForwardArgs {
  /** out = c · tanh(x / c) (OVERWRITE; in place allowed: out may be x). */
  out: F32;
  x: F32;
  len: number;
  cap: number;
}

export interface SoftcapBackwardArgs {
  /** dx = dOut · (1 − (y/c)²) where y is the forward OUTPUT (OVERWRITE; in place allowed: dx may be dOut). */
  dx: F32;
  dOut: F32;
  y: F32;
  len: number;
  cap: number;
}

export interface LogprobsForwardArgs {
  /**
   * Fused log-softmax + gather over the vocabulary, per row n of logits[N,V] (OVERWRITE all outputs):
   *   lse[n]      = log Σ_v exp(logits[n,v])
   *   logp[n]     = logits[n, targets[n]] − lse[n], or 0 where targets[n] = −100 (ignored)
   *   logitSum[n] = Σ_v logits[n,v]   (for the `logits/*` metrics; computed for ignored rows too)
   * Non-ignored targets must be in [0, V); the caller validates them.
   */
  logits: F32;
  targets: I32;
  n: number;
  v: number;
  logp: F32;
  lse: F32;
  logitSum: F32;
}

export interface LogprobsBackwardArgs {
  /**
   * dlogits[n,:] = dLogp[n] · (onehot(targets[n]) − softmax(logits[n,:]))   (OVERWRITE);
   * (∂ logp/∂ z = onehot − softmax; for an NLL loss dLogp = −1/count and this becomes (softmax − onehot)/count).
   * Rows whose target is −100 get 0. softmax uses the saved lse.
   */
  dLogits: F32;
  dLogp: F32;
  logits: F32;
  lse: F32;
  targets: I32;
  n: number;
  v: number;
}

export interface AdamWArgs {
  /**
   * torch.optim.AdamW (non-amsgrad, non-maximize), in place on param/m/v, with g = grad · gradScale:
   *   p ← p − lr·wd·p                      (decoupled weight decay)
   *   m ← β1·m + (1−β1)·g ;  v ← β2·v + (1−β2)·g²
   *   p ← p − (lr / (1−β1^step)) · m / (sqrt(v) / sqrt(1−β2^step) + eps)
   * `step` is the 1-based count including this update. gradScale folds in clipping (1 = none).
   */
  param: F32;
  grad: F32;
  m: F32;
  v: F32;
  len: number;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  step: number;
  gradScale: number;
}

/** The kernels. Implementations: src/backend/js/ (reference), src/backend/native/ (C++). */
export interface Backend {
  /** 'js' or 'native'. */
  readonly name: string;

  matmul(args: MatmulArgs): void;
  biasAdd(args: BiasAddArgs): void;
  biasBackward(args: BiasBackwardArgs): void;

  embeddingForward(args: EmbeddingForwardArgs): void;
  embeddingBackward(args: EmbeddingBackwardArgs): void;

  rmsnormForward(args: RmsNormForwardArgs): void;
  rmsnormBackward(args: RmsNormBackwardArgs): void;

  ropeForward(args: RopeArgs): void;
  /** Inverse rotation, in place on the gradient buffer `x` (= dOut in, dIn out). */
  ropeBackward(args: RopeArgs): void;

  attentionForward(args: AttentionForwardArgs): void;
  attentionBackward(args: AttentionBackwardArgs): void;

  gluForward(args: GluForwardArgs): void;
  gluBackward(args: GluBackwardArgs): void;

  /** out[i] = a[i] + b[i] (OVERWRITE; out may alias a or b). */
  add(args: { out: F32; a: F32; b: F32; len: number }): void;
  /** out[i] = s · x[i] (OVERWRITE; out may alias x). */
  scale(args: { out: F32; x: F32; s: number; len: number }): void;
  /** y[i] += alpha · x[i] (ACCUMULATE into y). */
  axpy(args: { y: F32; x: F32; alpha: number; len: number }): void;

  softcapForward(args: SoftcapForwardArgs): void;
  softcapBackward(args: SoftcapBackwardArgs): void;

  logprobsForward(args: LogprobsForwardArgs): void;
  logprobsBackward(args: LogprobsBackwardArgs): void;

  adamw(args: AdamWArgs): void;
  /** Σ x[i]², accumulated in double precision (global grad norm = sqrt of the sum over parameters). */
  sumSquares(args: { x: F32; len: number }): number;
}

/** Backend names accepted by `POET_BACKEND` and the `backend` config key. */
export type BackendName = 'native' | 'js';
