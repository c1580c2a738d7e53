/**
 * DPO-family pair losses as TRL 0.9.6 `DPOTrainer.dpo_loss` computes them (spec §2.2), with
 * hand-derived gradients with respect to the policy scores π_w, π_l. Scores are per-row log-prob
 * sums (token averages for ipo), POET-masked upstream. The reference scores ρ are constants.
 *
 * Notation: Δ_w = π_w − [¬reference_free]·ρ_w, Δ_l likewise; z = the "logits" of dpo_loss.
 */
import type { LossEntry } from './entry.ts';
import { argsortAscending, capExp, logSigmoid, sigmoid, smoothedSigmoidLoss, softplus } from './math.ts';
import type { DpoLossOptions, PairLossValues, PairScores } from './types.ts';

/** exo_pair uses ε = 1e-3 when label_smoothing is 0 (TRL sets it permanently; we do not mutate). */
export const EXO_PAIR_DEFAULT_EPSILON = 1e-3;

/** z and its partial derivatives ∂z/∂π_w, ∂z/∂π_l per pair. */
export interface DpoLogits {
  z: Float64Array;
  dzdChosen: Float64Array;
  dzdRejected: Float64Array;
}

/**
 * The DPO "logits" z under the chosen f-divergence (Wang et al. 2023, "Beyond Reverse KL",
 * arXiv:2309.16240, Table 1 / eq. 12 as implemented by TRL):
 *  - reverse_kl:       z = (π_w − π_l) − (ρ_w − ρ_l)                     (ρ := 0 when reference_free)
 *  - js_divergence:    z = (π_w − π_l) − (ρ_w − ρ_l) − softplus(Δ_w) + softplus(Δ_l)
 *  - alpha_divergence: z = (capexp(−αΔ_l) − capexp(−αΔ_w)) / α
 */
export function dpoLogits(s: PairScores, o: DpoLossOptions): DpoLogits {
  const B = s.policyChosen.length;
  const z = new Float64Array(B);
  const dW = new Float64Array(B);
  const dL = new Float64Array(B);
  const useRef = o.reference_free ? 0 : 1;
  for (let i = 0; i < B; i++) {
    const deltaW = s.policyChosen[i] - useRef * s.referenceChosen[i];
    const deltaL = s.policyRejected[i] - useRef * s.referenceRejected[i];
    if (o.f_divergence_type === 'alpha_divergence') {
      const a = o.f_alpha_divergence_coef;
      const eL = capExp(-a * deltaL);
      const eW = capExp(-a * deltaW);
      z[i] = (eL.value - eW.value) / a;
      // ∂/∂π_w of −capexp(−αΔ_w)/α = capexp'(−αΔ_w); ∂/∂π_l of capexp(−αΔ_l)/α = −capexp'(−αΔ_l)
      dW[i] = eW.grad;
      dL[i] = -eL.grad;
    } else {
      z[i] = deltaW - deltaL;
      dW[i] = 1;
      dL[i] = -1;
      if (o.f_divergence_type === 'js_divergence') {
        z[i] -= softplus(deltaW) - softplus(deltaL);
        dW[i] -= sigmoid(deltaW);
        dL[i] += sigmoid(deltaL);
      }
    }
  }
  return { z, dzdChosen: dW, dzdRejected: dL };
}

/** A loss that is a function ℓ(z) of the f-divergence logits: chain ∂ℓ/∂z into ∂/∂π_w, ∂/∂π_l. */
function logitsLoss(f: (z: number, o: DpoLossOptions) => { loss: number; dLoss: number }) {
  return (s: PairScores, o: DpoLossOptions): PairLossValues => {
    const { z, dzdChosen, dzdRejected } = dpoLogits(s, o);
    const B = z.length;
    const out = emptyValues(B);
    for (let i = 0; i < B; i++) {
      const { loss, dLoss } = f(z[i], o);
      out.losses[i] = loss;
      out.dPolicyChosen[i] = dLoss * dzdChosen[i];
      out.dPolicyRejected[i] = dLoss * dzdRejected[i];
    }
    return out;
  };
}

/**
 * A loss of the implicit rewards' log-ratios a = π_w − ρ_w, b = π_l − ρ_l (always against the
 * reference, even with reference_free, as TRL 0.9.6 does for these types).
 */
function logRatioLoss(
  f: (a: number, b: number, o: DpoLossOptions, delta: number) => { loss: number; dA: number; dB: number },
) {
  return (s: PairScores, o: DpoLossOptions, delta = 0): PairLossValues => {
    const B = s.policyChosen.length;
    const out = emptyValues(B);
    for (let i = 0; i < B; i++) {
      const r = f(s.policyChosen[i] - s.referenceChosen[i], s.policyRejected[i] - s.referenceRejected[i], o, delta);
      out.losses[i] = r.loss;
      out.dPolicyChosen[i] = r.dA;
      out.dPolicyRejected[i] = r.dB;
    }
    return out;
  };
}

/**
 * AOT (Melnyk et al. 2024, "Distributional Preference Alignment of LLMs via Optimal Transport",
 * arXiv:2406.05882): sort two per-pair quantities independently over the micro-batch and apply the
 * smoothed sigmoid loss to the rank-wise difference. Gradients flow back through the permutations.
 */
function sortedDifferenceLoss(s: PairScores, o: DpoLossOptions, paired: boolean): PairLossValues {
  const B = s.policyChosen.length;
  // aot_pair: u = π_w − ρ_w, v = π_l − ρ_l.  aot: u = π_w − π_l, v = ρ_w − ρ_l (v is constant).
  const u = new Float64Array(B);
  const v = new Float64Array(B);
  for (let i = 0; i < B; i++) {
    u[i] = paired ? s.policyChosen[i] - s.referenceChosen[i] : s.policyChosen[i] - s.policyRejected[i];
    v[i] = paired ? s.policyRejected[i] - s.referenceRejected[i] : s.referenceChosen[i] - s.referenceRejected[i];
  }
  const pu = argsortAscending(u);
  const pv = argsortAscending(v);
  const out = emptyValues(B);
  for (let r = 0; r < B; r++) {
    const { loss, dLoss } = smoothedSigmoidLoss(o.beta * (u[pu[r]] - v[pv[r]]), o.label_smoothing);
    out.losses[r] = loss;
    const g = o.beta * dLoss;
    if (paired) {
      out.dPolicyChosen[pu[r]] += g; // u = π_w − ρ_w
      out.dPolicyRejected[pv[r]] -= g; // −v, v = π_l − ρ_l
    } else {
      out.dPolicyChosen[pu[r]] += g; // u = π_w − π_l
      out.dPolicyRejected[pu[r]] -= g;
    }
  }
  return out;
}

function emptyValues(B: number): PairLossValues {
  return { losses: new Float64Array(B), dPolicyChosen: new Float64Array(B), dPolicyRejected: new Float64Array(B) };
}

const bcoPair = logRatioLoss((a, b, o, delta) => {
  // BCO (Jung et al. 2024, arXiv:2404.04656): −log σ(βa − δ) − log σ(−(βb − δ))
  const uW = o.beta * a - delta;
  const uL = o.beta * b - delta;
  return {
    loss: -logSigmoid(uW) - logSigmoid(-uL),
    dA: -o.beta * sigmoid(-uW),
    dB: o.beta * sigmoid(uL),
  };
});

const sppoHard = logRatioLoss((a, b, o) => {
  const da = a - 0.5 / o.beta;
  const db = b + 0.5 / o.beta;
  return { loss: da * da + db * db, dA: 2 * da, dB: 2 * db };
});

const ncaPair = logRatioLoss((a, b, o) => {
  const rw = o.beta * a;
  const rl = o.beta * b;
  return {
    loss: -logSigmoid(rw) - 0.5 * logSigmoid(-rw) - 0.5 * logSigmoid(-rl),
    dA: o.beta * (-sigmoid(-rw) + 0.5 * sigmoid(rw)),
    dB: o.beta * 0.5 * sigmoid(rl),
  };
});

const dpo = (
  lossType: string,
  citation: string,
  compute: LossEntry<DpoLossOptions>['compute'],
  extra: Partial<LossEntry<DpoLossOptions>> = {},
): LossEntry<DpoLossOptions> => ({
  trainer: 'dpo',
  lossType,
  citation,
  averaged: false,
  needsReference: true,
  needsState: false,
  compute,
  ...extra,
});

export const DPO_LOSSES: LossEntry<DpoLossOptions>[] = [
  dpo(
    'sigmoid',
    'DPO, Rafailov et al. 2023 (arXiv:2305.18290) eq. 7; label smoothing = conservative DPO (cDPO, Mitchell 2023)',
    logitsLoss((z, o) => {
      const r = smoothedSigmoidLoss(o.beta * z, o.label_smoothing);
      return { loss: r.loss, dLoss: o.beta * r.dLoss };
    }),
  ),
  dpo(
    'robust',
    'Robust DPO (rDPO), Chowdhury et al. 2024 (arXiv:2403.00409), unbiased under label-flip rate ε: ' +
      '[−(1−ε)logσ(βz) + ε·logσ(−βz)] / (1−2ε)',
    logitsLoss((z, o) => {
      const u = o.beta * z;
      const e = o.label_smoothing;
      return {
        loss: (-(1 - e) * logSigmoid(u) + e * logSigmoid(-u)) / (1 - 2 * e),
        dLoss: (o.beta * (-(1 - e) * sigmoid(-u) - e * sigmoid(u))) / (1 - 2 * e),
      };
    }),
  ),
  dpo(
    'exo_pair',
    'EXO, Ji et al. 2024 (arXiv:2402.00856) eq. 16: σ(βz)(logσ(βz) − log(1−ε)) + σ(−βz)(logσ(−βz) − log ε)',
    logitsLoss((z, o) => {
      const e = o.label_smoothing === 0 ? EXO_PAIR_DEFAULT_EPSILON : o.label_smoothing;
      const u = o.beta * z;
      const p = sigmoid(u);
      const q = sigmoid(-u);
      const loss = p * (logSigmoid(u) - Math.log(1 - e)) + q * (logSigmoid(-u) - Math.log(e));
      // d/du = σ(u)σ(−u)·[u − log((1−ε)/ε)]  (using logσ(u) − logσ(−u) = u)
      return { loss, dLoss: o.beta * p * q * (u - Math.log(1 - e) + Math.log(e)) };
    }),
  ),
  dpo(
    'hinge',
    'SLiC-HF, Zhao et al. 2023 (arXiv:2305.10425), calibration hinge loss: relu(1 − βz); label_smoothing unused',
    logitsLoss((z, o) => {
      const m = 1 - o.beta * z;
      // torch.relu's derivative at exactly 0 is 0
      return { loss: Math.max(m, 0), dLoss: m > 0 ? -o.beta : 0 };
    }),
  ),
  dpo(
    'ipo',
    'IPO, Azar et al. 2023 (arXiv:2310.12036) eq. 17: (z − 1/(2β))², z from token-averaged log-probs (TRL)',
    logitsLoss((z, o) => {
      const d = z - 1 / (2 * o.beta);
      return { loss: d * d, dLoss: 2 * d };
    }),
    { averaged: true },
  ),
  dpo(
    'bco_pair',
    'BCO, Jung et al. 2024 (arXiv:2404.04656), binary-classifier loss with reward shift δ = ' +
      'running mean of the batch-mean rewards (TRL RunningMoments)',
    (s, o, state) => {
      if (!state) throw new Error('DPO bco_pair needs a LossState (createLossState())');
      // TRL: rewards = cat(β·a, β·b).mean(); running.update(rewards) — one scalar per call, so
      // every micro-batch counts once whatever its size; δ is read after the update (detached).
      const B = s.policyChosen.length;
      let sum = 0;
      for (let i = 0; i < B; i++) {
        sum += o.beta * (s.policyChosen[i] - s.referenceChosen[i]);
        sum += o.beta * (s.policyRejected[i] - s.referenceRejected[i]);
      }
      state.running.update([sum / (2 * B)]);
      return bcoPair(s, o, state.running.mean);
    },
    { needsState: true },
  ),
  dpo(
    'sppo_hard',
    'SPPO (hard labels), Wu et al. 2024 (arXiv:2405.00675) eq. 4.7 with P = 1 / 0: (a − 1/(2β))² + (b + 1/(2β))²',
    (s, o) => sppoHard(s, o),
  ),
  dpo(
    'nca_pair',
    'NCA (pairwise), Chen et al. 2024 (arXiv:2402.05369): −logσ(r_w) − ½logσ(−r_w) − ½logσ(−r_l), r = β·log-ratio',
    (s, o) => ncaPair(s, o),
  ),
  dpo(
    'aot_pair',
    'AOT paired, Melnyk et al. 2024 (arXiv:2406.05882): sort(π_w−ρ_w) − sort(π_l−ρ_l) over the batch, smoothed sigmoid',
    (s, o) => sortedDifferenceLoss(s, o, true),
  ),
  dpo(
    'aot',
    'AOT unpaired, Melnyk et al. 2024 (arXiv:2406.05882): sort(π_w−π_l) − sort(ρ_w−ρ_l) over the batch, smoothed sigmoid',
    (s, o) => sortedDifferenceLoss(s, o, false),
  ),
];
