/**
 * One micro-batch of the SFT trainer (alignment-handbook style): token-mean negative log-likelihood over
 * the assistant tokens of the micro-batch (HF causal-LM loss, `ignore_index = -100`):
 *   loss = −Σ_{row,t} lp[row,t]·lossMask[row,t] / Σ lossMask,   dlp = scale · (−1/count) · lossMask
 */
import type { SftBatch } from '../data/batch.ts';
import { tokenMeanNll } from '../losses/index.ts';
import type { CausalLM } from '../models/index.ts';
import type { MicroStepResult } from './pair_step.ts';

export function sftStep(policy: CausalLM, batch: SftBatch, scale: number, train: boolean): MicroStepResult {
  const N = batch.rows * batch.length;
  const r = policy.forwardLogprobs(batch.inputIds, batch.targets, batch.rows, batch.length, { requiresGrad: train });
  let s = 0;
  let c = 0;
  for (let i = 0; i < N; i++) {
    s += r.logps[i]! * batch.lossMask[i]!;
    c += batch.lossMask[i]!;
  }
  let nll;
  try {
    nll = tokenMeanNll(s, c, 'SFT loss');
  } catch (e) {
    r.release();
    throw e;
  }
  if (train) {
    const d = new Float32Array(N);
    const g = scale * nll.dTokenLogp;
    for (let i = 0; i < N; i++) d[i] = g * batch.lossMask[i]!;
    r.backward(d);
  } else {
    r.release();
  }
  let tokens = 0;
  for (const l of batch.seqLens) tokens += l;
  return { loss: nll.value, metrics: {}, tokens };
}
