/**
 * Token-level cross-entropy terms: SFT's loss, DPO's RPO `nll_loss` and SimPO's `sft_loss`.
 *
 * All three are `nn.CrossEntropyLoss(ignore_index=-100)` over a micro-batch: the mean of
 * −log p(token) over every labelled token of the rows involved (a token mean, not a mean of
 * per-sequence means). For RPO and SimPO the rows are the chosen half and the mask is the full
 * response-label mask, NOT the POET mask (spec §1.4, §8 item 14).
 *
 * The trainer passes Σ log p over that mask and the token count; the term's derivative with
 * respect to each masked token's log-prob is the constant `dTokenLogp`.
 */
import { PoetError } from '../util/errors.ts';
import type { PreferenceLossOptions } from './types.ts';

export interface TokenMeanNll {
  /** −Σ log p / count. */
  value: number;
  /** ∂value/∂(log p of each masked token) = −1/count. */
  dTokenLogp: number;
}

/** Token-mean negative log-likelihood (alignment-handbook SFT loss; HF causal-LM loss). */
export function tokenMeanNll(sumLogp: number, count: number, what = 'token-mean NLL'): TokenMeanNll {
  if (!(count > 0)) {
    // torch would return 0/0 = NaN; a micro-batch without labelled tokens is a data problem
    throw new PoetError(`${what}: the micro-batch has no labelled response tokens (count ${count}); every example needs a non-empty response`);
  }
  return { value: -sumLogp / count, dTokenLogp: -1 / count };
}

export interface TokenTerm {
  /** Metric name of the original trainer: 'nll_loss' (DPO with rpo_alpha) or 'sft_loss' (SimPO). */
  metric: 'nll_loss' | 'sft_loss';
  /** The cross-entropy itself, as logged under `metric`. */
  ce: number;
  /** Factor on ce in the batch loss: 1 for RPO (the pair losses carry rpo_alpha), sft_weight for SimPO. */
  weight: number;
  /** weight · ce: what the trainer adds to PreferenceLossResult.loss. */
  value: number;
  /** ∂value/∂(log p of each chosen token under the label mask) = −weight/count. */
  dTokenLogp: number;
  metrics: Record<string, number>;
}

/** Whether the options ask for a token term (so the trainer knows to gather the chosen NLL). */
export function tokenTermEnabled(o: PreferenceLossOptions): boolean {
  return o.trainer === 'dpo' ? o.rpo_alpha !== null : o.sft_weight > 0;
}

/**
 * The options' token term given Σ log p and the count over the chosen rows' full label mask,
 * or null when the options have none.
 *  - DPO, rpo_alpha set (RPO, Pang et al. 2024, arXiv:2404.19733, eq. 3 in TRL's form):
 *      batch loss = mean(losses·rpo_alpha + nll) = rpo_alpha·mean(losses) + nll
 *  - SimPO, sft_weight > 0 (SimPO code): batch loss = mean(losses) + sft_weight·sft
 */
export function tokenTerm(o: PreferenceLossOptions, chosenSumLogp: number, chosenCount: number): TokenTerm | null {
  if (!tokenTermEnabled(o)) return null;
  const metric = o.trainer === 'dpo' ? 'nll_loss' : 'sft_loss';
  const weight = o.trainer === 'dpo' ? 1 : o.sft_weight;
  const nll = tokenMeanNll(chosenSumLogp, chosenCount, metric);
  return {
    metric,
    ce: nll.value,
    weight,
    value: weight * nll.value,
    dTokenLogp: weight * nll.dTokenLogp,
    metrics: { [metric]: nll.value },
  };
}
