/**
 * cos/sin tables for rotary position embeddings (Su et al. 2021, RoFormer), built the way HF transformers
 * 4.44 builds them in fp32: inv_freq_i = 1 / theta^(2i/Dh), optionally rescaled by the Llama-3 scheme
 * (HF `_compute_llama3_parameters`), then freqs = pos · inv_freq, cos/sin in fp32.
 * Every intermediate is rounded to fp32 (Math.fround) to track torch's fp32 arithmetic closely.
 * Layout: [P, Dh/2]; HF's tables repeat each half (cat(freqs, freqs)), which the kernels exploit.
 */
import type { RopeScaling } from '../models/config.ts';
import type { RopeTables } from './ops.ts';

const f = Math.fround;

/** HF default inverse frequencies, fp32. */
export function ropeInvFreq(headDim: number, theta: number, scaling: RopeScaling | null): Float32Array {
  const half = headDim / 2;
  const inv = new Float32Array(half);
  for (let i = 0; i < half; i++) {
    const exponent = f(f(2 * i) / headDim);
    inv[i] = f(1 / f(Math.pow(theta, exponent)));
  }
  if (scaling) applyLlama3Scaling(inv, scaling);
  return inv;
}

/**
 * Llama-3 frequency rescaling (Meta, Llama 3.1 release; HF `_compute_llama3_parameters`): long wavelengths
 * (> original_ctx / low_freq_factor) are divided by `factor`, short ones (< original_ctx / high_freq_factor)
 * kept, and the band in between interpolated smoothly.
 */
function applyLlama3Scaling(inv: Float32Array, s: RopeScaling): void {
  const oldCtx = s.original_max_position_embeddings;
  const lowWavelen = oldCtx / s.low_freq_factor;
  const highWavelen = oldCtx / s.high_freq_factor;
  for (let i = 0; i < inv.length; i++) {
    const freq = inv[i];
    const wavelen = f((2 * Math.PI) / freq);
    let scaled = wavelen > lowWavelen ? f(freq / s.factor) : freq;
    const medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
    if (medium) {
      const smooth = f(f(f(oldCtx / wavelen) - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor));
      scaled = f(f(f(f(1 - smooth) * scaled) / s.factor) + f(smooth * scaled));
    }
    inv[i] = scaled;
  }
}

export function buildRopeTables(
  headDim: number,
  theta: number,
  scaling: RopeScaling | null,
  maxPositions: number,
): RopeTables {
  const inv = ropeInvFreq(headDim, theta, scaling);
  const half = headDim / 2;
  const cos = new Float32Array(maxPositions * half);
  const sin = new Float32Array(maxPositions * half);
  for (let p = 0; p < maxPositions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = f(p * inv[i]);
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin, maxPositions };
}
