/**
 * Types shared by the preference losses. Option names are the original configs' names
 * (TRL 0.9.6 `DPOConfig`, SimPO `SimPOConfig`) so configs and fixtures map one to one.
 */
import type { RunningMoments } from './running_moments.ts';

export const DPO_LOSS_TYPES = [
  'sigmoid',
  'robust',
  'exo_pair',
  'hinge',
  'ipo',
  'bco_pair',
  'sppo_hard',
  'nca_pair',
  'aot_pair',
  'aot',
] as const;
export type DpoLossType = (typeof DPO_LOSS_TYPES)[number];

export const SIMPO_LOSS_TYPES = ['sigmoid', 'hinge'] as const;
export type SimpoLossType = (typeof SIMPO_LOSS_TYPES)[number];

export const F_DIVERGENCE_TYPES = ['reverse_kl', 'js_divergence', 'alpha_divergence'] as const;
export type FDivergenceType = (typeof F_DIVERGENCE_TYPES)[number];

/** The trainers whose pair losses live in the registry (SFT is a token term, see token_terms.ts). */
export type PreferenceTrainer = 'dpo' | 'simpo';

/** DPO loss options (TRL 0.9.6 `DPOConfig` names and defaults, spec §2.2). */
export interface DpoLossOptions {
  trainer: 'dpo';
  /** Validated by validateLossOptions; a string here so that bad config values can be reported. */
  loss_type: string;
  beta: number;
  label_smoothing: number;
  reference_free: boolean;
  f_divergence_type: string;
  f_alpha_divergence_coef: number;
  /** RPO: `losses·rpo_alpha + nll_loss`; null = off. */
  rpo_alpha: number | null;
}

/** SimPO loss options (`SimPOConfig` names and defaults, spec §2.1). */
export interface SimpoLossOptions {
  trainer: 'simpo';
  loss_type: string;
  beta: number;
  /** γ/β: the target reward margin γ divided by β. */
  gamma_beta_ratio: number;
  label_smoothing: number;
  /** Weight of the token-mean chosen NLL added to the loss; 0 = off. */
  sft_weight: number;
}

export type PreferenceLossOptions = DpoLossOptions | SimpoLossOptions;

export function dpoLossOptions(overrides: Partial<Omit<DpoLossOptions, 'trainer'>> = {}): DpoLossOptions {
  return {
    trainer: 'dpo',
    loss_type: 'sigmoid',
    beta: 0.1,
    label_smoothing: 0,
    reference_free: false,
    f_divergence_type: 'reverse_kl',
    f_alpha_divergence_coef: 1.0,
    rpo_alpha: null,
    ...overrides,
  };
}

export function simpoLossOptions(overrides: Partial<Omit<SimpoLossOptions, 'trainer'>> = {}): SimpoLossOptions {
  return {
    trainer: 'simpo',
    loss_type: 'sigmoid',
    beta: 2.0,
    gamma_beta_ratio: 0.25,
    label_smoothing: 0,
    sft_weight: 0,
    ...overrides,
  };
}

/**
 * One micro-batch of B preference pairs, reduced to per-row log-prob sums over the scored tokens.
 * POET is already applied: the sums and counts are over the POET-masked tokens (spec §1.3–1.4).
 * Policy and reference rows share the mask, hence one pair of counts.
 */
export interface PairLogps {
  /** Σ_t log π(y_w,t | x, y_w,<t) over the scored chosen tokens. [B] */
  policyChosenSum: ArrayLike<number>;
  /** Same for the rejected response. [B] */
  policyRejectedSum: ArrayLike<number>;
  /** Scored-token counts (POET-masked) of the chosen / rejected rows. [B] each */
  chosenCount: ArrayLike<number>;
  rejectedCount: ArrayLike<number>;
  /** Reference-model sums over the same tokens (DPO only; constants, no gradient). [B] each */
  referenceChosenSum?: ArrayLike<number>;
  referenceRejectedSum?: ArrayLike<number>;
}

/** Mutable loss state that outlives one micro-batch (saved in checkpoints). */
export interface LossState {
  /** DPO bco_pair reward baseline (TRL `self.running`). */
  running: RunningMoments;
}

/** Metrics with the original trainers' names (spec §2.3), means over the micro-batch. */
export type LossMetrics = Record<string, number>;

export interface PreferenceLossResult {
  /** Per-pair losses exactly as the original `dpo_loss` / `simpo_loss` return them. [B] */
  losses: Float64Array;
  /** Factor on mean(losses) in the batch loss: rpo_alpha when DPO's RPO is on, else 1. */
  weight: number;
  /** Preference part of the micro-batch loss: weight · mean(losses). */
  loss: number;
  /** ∂loss/∂policyChosenSum and ∂loss/∂policyRejectedSum. [B] each */
  gradPolicyChosenSum: Float64Array;
  gradPolicyRejectedSum: Float64Array;
  /** Per-pair rewards used by the metrics (detached). [B] each */
  chosenRewards: Float64Array;
  rejectedRewards: Float64Array;
  /** rewards/chosen, rewards/rejected, rewards/accuracies, rewards/margins, logps/chosen, logps/rejected */
  metrics: LossMetrics;
}

/**
 * What a registry entry sees: per-pair scores after the trainer's reduction (sum or token
 * average, spec §1.8), i.e. π_w, π_l, ρ_w, ρ_l of spec §2.
 */
export interface PairScores {
  policyChosen: Float64Array;
  policyRejected: Float64Array;
  /** Zeros for SimPO (no reference). */
  referenceChosen: Float64Array;
  referenceRejected: Float64Array;
}

/** Per-pair losses and their derivatives with respect to the policy scores π_w, π_l. */
export interface PairLossValues {
  losses: Float64Array;
  /** ∂losses[i]/∂π_w summed over i: entry j holds Σ_i ∂losses[i]/∂π_w[j] (sorting losses mix pairs). */
  dPolicyChosen: Float64Array;
  dPolicyRejected: Float64Array;
}
