/**
 * One micro-batch of a preference trainer (DPO or SimPO), on top of the model's per-token log-probs:
 *
 *   policy.forwardLogprobs(inputIds [2B, L], targets [2B, L]) → lp [2B, L]
 *   π_row  = Σ_t lp[row, t] · scoreMask[row, t]          (POET already in scoreMask; spec §1.3)
 *   ρ_row  = the same with the reference model (DPO), or precomputed per pair
 *   losses = registry(π, ρ, counts)                       (src/losses; sum vs mean decided there, §1.8)
 *   token term (rpo_alpha / sft_weight) over nllMask      (not POET-masked, §1.4)
 *   dlp[row, t] = scale · (∂loss/∂π_row · scoreMask[row, t] + [chosen row] · dTokenLogp · nllMask[row, t])
 *   policy backward(dlp)                                   accumulates parameter gradients
 *
 * `scale` is 1/gradient_accumulation_steps (HF averages micro-batch losses over the accumulation window).
 * Metrics are the reference's (spec §2.3), plus `logits/chosen|rejected` = mean over every entry of the
 * [B, L, V] logits slice (prompt and pad positions included, as the original). With POET physical cutting,
 * L is the cut length, so `logits/*` differ from the original's masked full-length run (spec §8.22).
 */
import type { PairBatch } from '../data/batch.ts';
import { computePreferenceLoss, tokenTerm, tokenTermEnabled } from '../losses/index.ts';
import type { LossState, PreferenceLossOptions } from '../losses/index.ts';
import type { CausalLM } from '../models/index.ts';

export interface PairSums {
  /** [B] reference (or policy) log-prob sums over each pair's scored chosen / rejected tokens. */
  chosen: Float64Array;
  rejected: Float64Array;
}

export interface MicroStepResult {
  /** The micro-batch loss (before the 1/GAS scale). */
  loss: number;
  metrics: Record<string, number>;
  /** Real (non-pad) tokens processed by the policy forward. */
  tokens: number;
}

/** Σ_t lp[row, t]·mask[row, t] for every row of a [rows, L] layout. */
export function maskedRowSums(lp: Float32Array, mask: Float32Array, rows: number, L: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    const o = r * L;
    for (let t = 0; t < L; t++) s += lp[o + t]! * mask[o + t]!;
    out[r] = s;
  }
  return out;
}

function realTokens(batch: PairBatch): number {
  let n = 0;
  for (const l of batch.seqLens) n += l;
  return n;
}

/** Log-prob sums of a pair batch under `model` (no gradient), POET-masked exactly as in training: the DPO reference, `poet logps`. */
export function pairSums(model: CausalLM, batch: PairBatch): PairSums {
  const B = batch.pairs;
  const L = batch.length;
  const r = model.forwardLogprobs(batch.inputIds, batch.targets, 2 * B, L, { requiresGrad: false });
  const sums = maskedRowSums(r.logps, batch.scoreMask, 2 * B, L);
  return { chosen: sums.slice(0, B), rejected: sums.slice(B) };
}

export interface PairStepArgs {
  policy: CausalLM;
  /** DPO reference model; null for SimPO, or when `refSums` are given (precomputed). */
  reference: CausalLM | null;
  refSums?: PairSums | null;
  batch: PairBatch;
  loss: PreferenceLossOptions;
  lossState: LossState;
  /** Multiplier on the gradient (1 / gradient_accumulation_steps). */
  scale: number;
  /** false: evaluation (no backward). */
  train: boolean;
}

export function pairStep(a: PairStepArgs): MicroStepResult {
  const { batch, policy } = a;
  const B = batch.pairs;
  const L = batch.length;
  const rows = 2 * B;
  const r = policy.forwardLogprobs(batch.inputIds, batch.targets, rows, L, { requiresGrad: a.train });
  try {
    const sums = maskedRowSums(r.logps, batch.scoreMask, rows, L);
    const counts = batch.scoredCounts; // Σ_t scoreMask per row, computed by the batch builder
    let ref: PairSums | null = a.refSums ?? null;
    if (!ref && a.loss.trainer === 'dpo') {
      if (!a.reference) throw new Error('pairStep: DPO needs a reference model or precomputed reference sums');
      ref = pairSums(a.reference, batch);
    }
    const res = computePreferenceLoss(
      {
        policyChosenSum: sums.subarray(0, B),
        policyRejectedSum: sums.subarray(B),
        chosenCount: counts.subarray(0, B),
        rejectedCount: counts.subarray(B),
        ...(ref ? { referenceChosenSum: ref.chosen, referenceRejectedSum: ref.rejected } : {}),
      },
      a.loss,
      a.lossState,
    );
    let loss = res.loss;
    const metrics: Record<string, number> = { ...res.metrics };

    let term = null;
    if (tokenTermEnabled(a.loss)) {
      const nll = batch.nllMask;
      if (!nll) throw new Error('pairStep: the loss needs the full chosen responses but the batch has no nllMask (built with needTail=false)');
      let s = 0;
      let c = 0;
      for (let i = 0; i < B * L; i++) {
        s += r.logps[i]! * nll[i]!;
        c += nll[i]!;
      }
      term = tokenTerm(a.loss, s, c)!;
      loss += term.value;
      Object.assign(metrics, term.metrics);
    }

    // logits/chosen, logits/rejected: mean over all [B, L, V] entries of each half (spec §2.3).
    const V = policy.config.vocab_size;
    let lc = 0;
    let lr = 0;
    for (let i = 0; i < B; i++) {
      lc += r.logitSums[i]!;
      lr += r.logitSums[B + i]!;
    }
    metrics['logits/chosen'] = lc / (B * L * V);
    metrics['logits/rejected'] = lr / (B * L * V);

    if (a.train) {
      const d = new Float32Array(rows * L);
      const mask = batch.scoreMask;
      for (let row = 0; row < rows; row++) {
        const g = row < B ? res.gradPolicyChosenSum[row]! : res.gradPolicyRejectedSum[row - B]!;
        const o = row * L;
        for (let t = 0; t < L; t++) d[o + t] = a.scale * g * mask[o + t]!;
      }
      if (term) {
        const nll = batch.nllMask!;
        const g = a.scale * term.dTokenLogp;
        for (let i = 0; i < B * L; i++) d[i] += g * nll[i]!;
      }
      r.backward(d);
    } else {
      r.release();
    }
    return { loss, metrics, tokens: realTokens(batch) };
  } catch (e) {
    if (!a.train) r.release();
    throw e;
  }
}

