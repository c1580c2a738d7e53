/**
 * Reference kernels in plain TypeScript (everything except matmul and attention, which have their own
 * files). Each follows the contract written in src/backend/types.ts; reductions use double precision.
 * The functions only index their arrays, so tests may also call them with Float64Array buffers (cast) to
 * run finite-difference gradient checks in double precision.
 */
import type {
  AdamWArgs,
  BiasAddArgs,
  BiasBackwardArgs,
  EmbeddingBackwardArgs,
  EmbeddingForwardArgs,
  F32,
  GluActivation,
  GluBackwardArgs,
  GluForwardArgs,
  LogprobsBackwardArgs,
  LogprobsForwardArgs,
  RmsNormBackwardArgs,
  RmsNormForwardArgs,
  RopeArgs,
  SoftcapBackwardArgs,
  SoftcapForwardArgs,
} from '../types.ts';

// ---------------------------------------------------------------------------------------------- bias

export function biasAdd({ x, bias, n, d }: BiasAddArgs): void {
  for (let r = 0; r < n; r++) {
    const o = r * d;
    for (let j = 0; j < d; j++) x[o + j] += bias[j];
  }
}

export function biasBackward({ dBias, dOut, n, d }: BiasBackwardArgs): void {
  const acc = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    const o = r * d;
    for (let j = 0; j < d; j++) acc[j] += dOut[o + j];
  }
  for (let j = 0; j < d; j++) dBias[j] += acc[j];
}

// ----------------------------------------------------------------------------------------- embedding

export function embeddingForward({ out, table, ids, n, d, scale }: EmbeddingForwardArgs): void {
  for (let r = 0; r < n; r++) {
    const src = ids[r] * d;
    const dst = r * d;
    for (let j = 0; j < d; j++) out[dst + j] = table[src + j] * scale;
  }
}

export function embeddingBackward({ dTable, dOut, ids, n, d, scale }: EmbeddingBackwardArgs): void {
  for (let r = 0; r < n; r++) {
    const dst = ids[r] * d;
    const src = r * d;
    for (let j = 0; j < d; j++) dTable[dst + j] += dOut[src + j] * scale;
  }
}

// ------------------------------------------------------------------------------------------- RMSNorm

export function rmsnormForward({ out, rstd, x, w, n, d, eps, addOne }: RmsNormForwardArgs): void {
  const one = addOne ? 1 : 0;
  for (let r = 0; r < n; r++) {
    const o = r * d;
    let ss = 0;
    for (let j = 0; j < d; j++) ss += x[o + j] * x[o + j];
    const rs = 1 / Math.sqrt(ss / d + eps);
    rstd[r] = rs;
    for (let j = 0; j < d; j++) out[o + j] = x[o + j] * rs * (w[j] + one);
  }
}

export function rmsnormBackward({ dx, dw, dOut, x, w, rstd, n, d, addOne }: RmsNormBackwardArgs): void {
  const one = addOne ? 1 : 0;
  const dwAcc = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    const o = r * d;
    const rs = rstd[r];
    // mean_d(g·x̂) with g = dOut·ŵ, x̂ = x·rstd
    let dot = 0;
    for (let j = 0; j < d; j++) {
      const xh = x[o + j] * rs;
      dot += dOut[o + j] * (w[j] + one) * xh;
      dwAcc[j] += dOut[o + j] * xh;
    }
    const mean = dot / d;
    for (let j = 0; j < d; j++) {
      const xh = x[o + j] * rs;
      dx[o + j] += rs * (dOut[o + j] * (w[j] + one) - xh * mean);
    }
  }
  for (let j = 0; j < d; j++) dw[j] += dwAcc[j];
}

// ---------------------------------------------------------------------------------------------- RoPE

function rope(a: RopeArgs, sign: number): void {
  const { x, cos, sin, positions, b: B, t: T, h: H, dh } = a;
  const half = dh / 2;
  for (let bt = 0; bt < B * T; bt++) {
    const tab = positions[bt] * half;
    for (let h = 0; h < H; h++) {
      const o = (bt * H + h) * dh;
      for (let i = 0; i < half; i++) {
        const c = cos[tab + i];
        const s = sign * sin[tab + i];
        const x1 = x[o + i];
        const x2 = x[o + i + half];
        x[o + i] = x1 * c - x2 * s;
        x[o + i + half] = x2 * c + x1 * s;
      }
    }
  }
}

export function ropeForward(a: RopeArgs): void {
  rope(a, 1);
}

export function ropeBackward(a: RopeArgs): void {
  rope(a, -1);
}

// ------------------------------------------------------------------------------------ gated MLP (GLU)

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

/** act(x) and act'(x) for SwiGLU (silu, Shazeer 2020) and GeGLU with tanh-GELU (Hendrycks & Gimpel 2016). */
function activation(act: GluActivation, x: number): [number, number] {
  if (act === 'silu') {
    const sig = 1 / (1 + Math.exp(-x));
    return [x * sig, sig * (1 + x * (1 - sig))];
  }
  const inner = SQRT_2_OVER_PI * (x + GELU_C * x * x * x);
  const th = Math.tanh(inner);
  const y = 0.5 * x * (1 + th);
  const dy = 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * SQRT_2_OVER_PI * (1 + 3 * GELU_C * x * x);
  return [y, dy];
}

export function gluForward({ out, gate, up, len, act }: GluForwardArgs): void {
  for (let i = 0; i < len; i++) out[i] = activation(act, gate[i])[0] * up[i];
}

export function gluBackward({ dGate, dUp, dOut, gate, up, len, act }: GluBackwardArgs): void {
  for (let i = 0; i < len; i++) {
    const [y, dy] = activation(act, gate[i]);
    dGate[i] += dOut[i] * up[i] * dy;
    dUp[i] += dOut[i] * y;
  }
}

// --------------------------------------------------------------------------------------- elementwise

export function add({ out, a, b, len }: { out: F32; a: F32; b: F32; len: number }): void {
  for (let i = 0; i < len; i++) out[i] = a[i] + b[i];
}

export function scale({ out, x, s, len }: { out: F32; x: F32; s: number; len: number }): void {
  for (let i = 0; i < len; i++) out[i] = x[i] * s;
}

export function axpy({ y, x, alpha, len }: { y: F32; x: F32; alpha: number; len: number }): void {
  for (let i = 0; i < len; i++) y[i] += alpha * x[i];
}

export function softcapForward({ out, x, len, cap }: SoftcapForwardArgs): void {
  for (let i = 0; i < len; i++) out[i] = cap * Math.tanh(x[i] / cap);
}

export function softcapBackward({ dx, dOut, y, len, cap }: SoftcapBackwardArgs): void {
  for (let i = 0; i < len; i++) {
    const r = y[i] / cap;
    dx[i] = dOut[i] * (1 - r * r);
  }
}

// ------------------------------------------------------------------------------- fused token log-probs

export const IGNORE_INDEX = -100;

export function logprobsForward({ logits, targets, n, v, logp, lse, logitSum }: LogprobsForwardArgs): void {
  for (let r = 0; r < n; r++) {
    const o = r * v;
    let max = -Infinity;
    let sum = 0;
    for (let j = 0; j < v; j++) {
      const z = logits[o + j];
      sum += z;
      if (z > max) max = z;
    }
    let se = 0;
    for (let j = 0; j < v; j++) se += Math.exp(logits[o + j] - max);
    const l = max + Math.log(se);
    lse[r] = l;
    logitSum[r] = sum;
    const tgt = targets[r];
    logp[r] = tgt === IGNORE_INDEX ? 0 : logits[o + tgt] - l;
  }
}

export function logprobsBackward({ dLogits, dLogp, logits, lse, targets, n, v }: LogprobsBackwardArgs): void {
  for (let r = 0; r < n; r++) {
    const o = r * v;
    const tgt = targets[r];
    const g = dLogp[r];
    if (tgt === IGNORE_INDEX || g === 0) {
      dLogits.fill(0, o, o + v);
      continue;
    }
    const l = lse[r];
    // ∂ logp / ∂ z_j = 1[j = target] − softmax_j
    for (let j = 0; j < v; j++) dLogits[o + j] = -g * Math.exp(logits[o + j] - l);
    dLogits[o + tgt] += g;
  }
}

// ------------------------------------------------------------------------------------------ optimizer

export function adamw(a: AdamWArgs): void {
  const { param, grad, m, v, len, lr, beta1, beta2, eps, weightDecay, step, gradScale } = a;
  const decay = 1 - lr * weightDecay;
  const bc1 = 1 - Math.pow(beta1, step);
  const bc2sqrt = Math.sqrt(1 - Math.pow(beta2, step));
  const stepSize = lr / bc1;
  for (let i = 0; i < len; i++) {
    const g = grad[i] * gradScale;
    const p = param[i] * decay;
    const mi = beta1 * m[i] + (1 - beta1) * g;
    const vi = beta2 * v[i] + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] = p - (stepSize * mi) / (Math.sqrt(vi) / bc2sqrt + eps);
  }
}

export function sumSquares({ x, len }: { x: F32; len: number }): number {
  let s = 0;
  for (let i = 0; i < len; i++) s += x[i] * x[i];
  return s;
}
