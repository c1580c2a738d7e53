/**
 * The one registry of pair losses, keyed by (trainer, loss_type), and the driver that turns a
 * micro-batch of log-prob sums into losses, gradients and metrics. The reduction rule (spec §1.8)
 * lives here: SimPO and DPO ipo score by token average, other DPO types by sum.
 */
import { PoetError } from '../util/errors.ts';
import { DPO_LOSSES } from './dpo.ts';
import type { LossEntry } from './entry.ts';
import { RunningMoments } from './running_moments.ts';
import { SIMPO_LOSSES } from './simpo.ts';
import type {
  LossState,
  PairLogps,
  PairScores,
  PreferenceLossOptions,
  PreferenceLossResult,
  PreferenceTrainer,
} from './types.ts';
import { validateLossOptions } from './validate.ts';

const REGISTRY = new Map<string, LossEntry<any>>();
for (const e of [...DPO_LOSSES, ...SIMPO_LOSSES]) REGISTRY.set(`${e.trainer}/${e.lossType}`, e);

/** Every registered entry (for docs and `--help` listings). */
export function listLosses(): readonly LossEntry<any>[] {
  return [...REGISTRY.values()];
}

export function getLossEntry(trainer: PreferenceTrainer, lossType: string): LossEntry<any> {
  const e = REGISTRY.get(`${trainer}/${lossType}`);
  if (!e) {
    const known = listLosses().filter((x) => x.trainer === trainer).map((x) => x.lossType);
    throw new PoetError(`loss_type: expected one of ${known.join(', ')} for ${trainer}, found '${lossType}'`);
  }
  return e;
}

/** Fresh per-run loss state (TRL's initial RunningMoments). */
export function createLossState(): LossState {
  return { running: new RunningMoments() };
}

function toF64(a: ArrayLike<number>): Float64Array {
  return Float64Array.from(a as ArrayLike<number>);
}

/**
 * Losses, ∂loss/∂(policy sums) and metrics for one micro-batch of B pairs.
 * `state` is required (and updated) for DPO bco_pair; other types ignore it.
 * Throws PoetError for invalid options (see validateLossOptions) and for a zero scored-token count
 * where the scores are averages.
 */
export function computePreferenceLoss(
  batch: PairLogps,
  options: PreferenceLossOptions,
  state?: LossState,
): PreferenceLossResult {
  const { errors } = validateLossOptions(options);
  if (errors.length > 0) throw new PoetError(`invalid ${options.trainer} loss options: ${errors.join('; ')}`);
  const entry = getLossEntry(options.trainer, options.loss_type);

  const B = batch.policyChosenSum.length;
  const lengths = [batch.policyRejectedSum.length, batch.chosenCount.length, batch.rejectedCount.length];
  if (B === 0 || lengths.some((n) => n !== B)) {
    throw new Error(`computePreferenceLoss: per-pair arrays must all have the same length B > 0, found ${[B, ...lengths].join(', ')}`);
  }
  if (entry.needsReference && (!batch.referenceChosenSum || !batch.referenceRejectedSum)) {
    throw new Error(`computePreferenceLoss: ${options.trainer} ${options.loss_type} needs reference log-prob sums`);
  }

  // Reduction (spec §1.8): token average = sum / count for SimPO and ipo, for policy and reference alike.
  const cw = toF64(batch.chosenCount);
  const cl = toF64(batch.rejectedCount);
  if (entry.averaged) {
    for (let i = 0; i < B; i++) {
      if (!(cw[i] > 0) || !(cl[i] > 0)) {
        throw new PoetError(
          `pair ${i} of the micro-batch has no scored tokens (chosen ${cw[i]}, rejected ${cl[i]}); ` +
            `${options.trainer} ${options.loss_type} averages log-probs over them (0/0)`,
        );
      }
    }
  }
  const reduce = (sums: ArrayLike<number> | undefined, counts: Float64Array): Float64Array => {
    const out = sums ? toF64(sums) : new Float64Array(B);
    if (entry.averaged && sums) for (let i = 0; i < B; i++) out[i] /= counts[i];
    return out;
  };
  const scores: PairScores = {
    policyChosen: reduce(batch.policyChosenSum, cw),
    policyRejected: reduce(batch.policyRejectedSum, cl),
    referenceChosen: reduce(entry.needsReference ? batch.referenceChosenSum : undefined, cw),
    referenceRejected: reduce(entry.needsReference ? batch.referenceRejectedSum : undefined, cl),
  };

  const v = entry.compute(scores, options, state);

  // Batch loss = weight · mean(losses); RPO scales the pair losses by rpo_alpha (TRL 0.9.6).
  const weight = options.trainer === 'dpo' && options.rpo_alpha !== null ? options.rpo_alpha : 1;
  let total = 0;
  for (let i = 0; i < B; i++) total += v.losses[i];
  const loss = (weight * total) / B;

  // Chain rule to the sums: ∂π/∂sum = 1, or 1/count when averaged.
  const gW = new Float64Array(B);
  const gL = new Float64Array(B);
  for (let i = 0; i < B; i++) {
    gW[i] = ((weight / B) * v.dPolicyChosen[i]) / (entry.averaged ? cw[i] : 1);
    gL[i] = ((weight / B) * v.dPolicyRejected[i]) / (entry.averaged ? cl[i] : 1);
  }

  // Rewards (detached): DPO β(π − ρ), even when reference_free; SimPO β·π.
  const rW = new Float64Array(B);
  const rL = new Float64Array(B);
  for (let i = 0; i < B; i++) {
    rW[i] = options.beta * (scores.policyChosen[i] - scores.referenceChosen[i]);
    rL[i] = options.beta * (scores.policyRejected[i] - scores.referenceRejected[i]);
  }
  let sW = 0, sL = 0, acc = 0, pW = 0, pL = 0;
  for (let i = 0; i < B; i++) {
    sW += rW[i];
    sL += rL[i];
    acc += rW[i] > rL[i] ? 1 : 0; // strict, as `(chosen_rewards > rejected_rewards).float()`
    pW += scores.policyChosen[i];
    pL += scores.policyRejected[i];
  }
  const metrics = {
    'rewards/chosen': sW / B,
    'rewards/rejected': sL / B,
    'rewards/accuracies': acc / B,
    'rewards/margins': (sW - sL) / B,
    'logps/chosen': pW / B,
    'logps/rejected': pL / B,
  };

  return {
    losses: v.losses,
    weight,
    loss,
    gradPolicyChosenSum: gW,
    gradPolicyRejectedSum: gL,
    chosenRewards: rW,
    rejectedRewards: rL,
    metrics,
  };
}
