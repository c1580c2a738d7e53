/** Public surface of the preference losses (see docs/training.md, "Losses"). */
export { computePreferenceLoss, createLossState, getLossEntry, listLosses } from './registry.ts';
export type { LossEntry } from './entry.ts';
export { tokenMeanNll, tokenTerm, tokenTermEnabled, type TokenMeanNll, type TokenTerm } from './token_terms.ts';
export { assertValidLossOptions, validateLossOptions, type LossOptionProblems } from './validate.ts';
export { RunningMoments, type RunningMomentsState } from './running_moments.ts';
export { dpoLogits, EXO_PAIR_DEFAULT_EPSILON } from './dpo.ts';
export { EXP_CAP_F32 } from './math.ts';
export * from './types.ts';
