/** The shape of one registry entry: a pair loss for one (trainer, loss_type). */
import type { LossState, PairLossValues, PairScores, PreferenceTrainer } from './types.ts';

export interface LossEntry<O> {
  trainer: PreferenceTrainer;
  lossType: string;
  /** Paper and equation the formula comes from, and the original code it reproduces. */
  citation: string;
  /** Scores are token averages sum/count (SimPO; DPO ipo) rather than sums (spec §1.8). */
  averaged: boolean;
  /** Needs the reference model's log-probs (every DPO type: the rewards subtract the reference). */
  needsReference: boolean;
  /** Needs the mutable LossState (bco_pair's running mean). */
  needsState: boolean;
  /** Per-pair losses and ∂(Σ losses)/∂π for the micro-batch's scores. */
  compute(scores: PairScores, options: O, state: LossState | undefined): PairLossValues;
}
