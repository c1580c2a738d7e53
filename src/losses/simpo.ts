/**
 * SimPO pair losses as `[SimPO] scripts/simpo_trainer.py simpo_loss` computes them (spec §2.1).
 * Scores are token-averaged policy log-probs (POET-masked upstream); there is no reference model.
 *
 * SimPO, Meng et al. 2024 (arXiv:2405.14734) eq. 6:
 *   L = −log σ( β·π_w − β·π_l − γ ),  γ = β·gamma_beta_ratio,
 * written by the code as β·h with h = (π_w − π_l) − gamma_beta_ratio.
 */
import type { LossEntry } from './entry.ts';
import { smoothedSigmoidLoss } from './math.ts';
import type { PairLossValues, PairScores, SimpoLossOptions } from './types.ts';

function marginLoss(f: (u: number, o: SimpoLossOptions) => { loss: number; dLoss: number }) {
  return (s: PairScores, o: SimpoLossOptions): PairLossValues => {
    const B = s.policyChosen.length;
    const out: PairLossValues = {
      losses: new Float64Array(B),
      dPolicyChosen: new Float64Array(B),
      dPolicyRejected: new Float64Array(B),
    };
    for (let i = 0; i < B; i++) {
      const u = o.beta * (s.policyChosen[i] - s.policyRejected[i] - o.gamma_beta_ratio);
      const { loss, dLoss } = f(u, o);
      out.losses[i] = loss;
      out.dPolicyChosen[i] = o.beta * dLoss; // ∂u/∂π_w = β
      out.dPolicyRejected[i] = -o.beta * dLoss; // ∂u/∂π_l = −β
    }
    return out;
  };
}

const simpo = (
  lossType: string,
  citation: string,
  compute: LossEntry<SimpoLossOptions>['compute'],
): LossEntry<SimpoLossOptions> => ({
  trainer: 'simpo',
  lossType,
  citation,
  averaged: true,
  needsReference: false,
  needsState: false,
  compute,
});

export const SIMPO_LOSSES: LossEntry<SimpoLossOptions>[] = [
  simpo(
    'sigmoid',
    'SimPO, Meng et al. 2024 (arXiv:2405.14734) eq. 6, with label smoothing ε as in cDPO: −(1−ε)logσ(βh) − ε·logσ(−βh)',
    marginLoss((u, o) => smoothedSigmoidLoss(u, o.label_smoothing)),
  ),
  simpo(
    'hinge',
    'SimPO code `loss_type="hinge"` (SLiC-style, Zhao et al. 2023, arXiv:2305.10425): relu(1 − βh); label_smoothing unused',
    marginLoss((u) => ({ loss: Math.max(1 - u, 0), dLoss: 1 - u > 0 ? -1 : 0 })),
  ),
];
