/**
 * Scalar float64 helpers shared by the preference losses: numerically stable log-sigmoid,
 * sigmoid and softplus, TRL's capped exponential, and an argsort that the batch-sorting losses
 * (aot, aot_pair) use to route gradients back through the sort permutation.
 */

/** σ(x) = 1 / (1 + e^{-x}), evaluated without overflow for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** log σ(x) = −softplus(−x) = min(x, 0) − log1p(e^{−|x|}) (the same stable form torch uses). */
export function logSigmoid(x: number): number {
  return Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x)));
}

/** softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^{−|x|}). Its derivative is σ(x). */
export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/**
 * TRL 0.9.6 `get_exp_cap` for float32: floor(log(float32 max) · 1e4) / 1e4 = 88.7228.
 * The original runs in float32 (or bf16) tensors; poet keeps the float32 cap even though it
 * computes in float64, so that alpha-divergence values agree with the reference.
 */
export const EXP_CAP_F32 = Math.floor(Math.log(3.4028234663852886e38) * 1e4) / 1e4;

/**
 * TRL's `cap_exp(v) = exp(min(v, cap))` and its derivative. Like torch.clamp, the derivative
 * is e^v where v ≤ cap and 0 where the cap is active.
 */
export function capExp(v: number, cap = EXP_CAP_F32): { value: number; grad: number } {
  if (v > cap) return { value: Math.exp(cap), grad: 0 };
  const e = Math.exp(v);
  return { value: e, grad: e };
}

/**
 * Indices that sort `values` ascending (ties keep their input order). `perm[r]` is the input
 * index holding rank r, so sorted[r] = values[perm[r]] and ∂sorted[r] flows back to perm[r].
 */
export function argsortAscending(values: ArrayLike<number>): number[] {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  idx.sort((a, b) => values[a] - values[b] || a - b);
  return idx;
}

/** Arithmetic mean of a non-empty array. */
export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

/**
 * The label-smoothed ("conservative", cDPO) sigmoid loss of u = β·margin and its derivative:
 *   ℓ(u) = −(1−ε)·log σ(u) − ε·log σ(−u),   dℓ/du = −(1−ε)·σ(−u) + ε·σ(u).
 * Shared by DPO sigmoid / aot / aot_pair and SimPO sigmoid (SimPO eq. 6 with ε = 0).
 */
export function smoothedSigmoidLoss(u: number, eps: number): { loss: number; dLoss: number } {
  return {
    loss: -(1 - eps) * logSigmoid(u) - eps * logSigmoid(-u),
    dLoss: -(1 - eps) * sigmoid(-u) + eps * sigmoid(u),
  };
}
