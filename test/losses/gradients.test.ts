/**
 * Finite-difference checks of ∂loss/∂(policy sums) for every registry entry and option variant,
 * independent of the PyTorch fixtures (central differences in float64).
 */
import { test } from 'node:test';
import {
  computePreferenceLoss,
  dpoLossOptions,
  listLosses,
  RunningMoments,
  simpoLossOptions,
  type LossState,
  type PairLogps,
  type PreferenceLossOptions,
} from '../../src/losses/index.ts';
import { assertClose } from './helpers.ts';

// Deterministic pseudo-random sums (no ties, so the aot sorts are locally constant).
const batchDefault: PairLogps = {
  policyChosenSum: [-14.2, -6.1, -22.7, -9.9],
  policyRejectedSum: [-15.3, -4.4, -25.1, -13.6],
  referenceChosenSum: [-13.1, -7.3, -21.2, -11.0],
  referenceRejectedSum: [-14.0, -5.9, -24.3, -12.2],
  chosenCount: [7, 3, 11, 5],
  rejectedCount: [6, 4, 12, 6],
};

/** A bco_pair state whose huge count makes the running mean (detached in TRL) effectively constant. */
function frozenState(): LossState {
  return { running: RunningMoments.from({ mean: -0.05, var: 1, count: 1e30 }) };
}

/**
 * The same pairs scaled down for the exponential alpha-divergence with reference_free (e^{α·14}
 * would make the loss so large that finite differences lose all precision).
 */
const mildBatch: PairLogps = Object.fromEntries(
  Object.entries(batchDefault).map(([k, v]) => [k, k.endsWith('Count') ? v : Array.from(v as number[], (x) => x / 5)]),
) as unknown as PairLogps;

function fdCheck(o: PreferenceLossOptions, what: string, batch: PairLogps = batchDefault): void {
  const h = 1e-6;
  const base = computePreferenceLoss(batch, o, frozenState());
  for (const side of ['policyChosenSum', 'policyRejectedSum'] as const) {
    const analytic = side === 'policyChosenSum' ? base.gradPolicyChosenSum : base.gradPolicyRejectedSum;
    const numeric = Array.from(batch[side], (_, i) => {
      const at = (d: number) => {
        const v = Array.from(batch[side]);
        v[i] += d;
        return computePreferenceLoss({ ...batch, [side]: v }, o, frozenState()).loss;
      };
      return (at(h) - at(-h)) / (2 * h);
    });
    assertClose(analytic, numeric, `${what}: ∂loss/∂${side}`, 1e-5, 1e-9);
  }
}

test('every registered loss: analytic gradient = central finite difference', () => {
  for (const e of listLosses()) {
    for (const eps of [0, 0.2]) {
      const o =
        e.trainer === 'dpo'
          ? dpoLossOptions({ loss_type: e.lossType, beta: 0.3, label_smoothing: eps })
          : simpoLossOptions({ loss_type: e.lossType, beta: 2, gamma_beta_ratio: 0.25, label_smoothing: eps });
      fdCheck(o, `${e.trainer}/${e.lossType} ε=${eps}`);
    }
  }
});

test('DPO f-divergences, reference_free and rpo_alpha: analytic gradient = finite difference', () => {
  for (const lossType of ['sigmoid', 'robust', 'exo_pair', 'hinge', 'ipo']) {
    for (const f of ['js_divergence', 'alpha_divergence', 'reverse_kl']) {
      for (const reference_free of [false, true]) {
        for (const coef of f === 'alpha_divergence' ? [0.5, 1, 2] : [1]) {
          const o = dpoLossOptions({ loss_type: lossType, beta: 0.2, f_divergence_type: f, f_alpha_divergence_coef: coef, reference_free, label_smoothing: 0.1, rpo_alpha: 0.7 });
          fdCheck(o, `${lossType} ${f} α=${coef} reference_free=${reference_free}`, mildBatch);
        }
      }
    }
  }
});
