/**
 * Consistency checks on loss options, run once by the trainer before training. Errors are option
 * combinations the original rejects or that make the formula meaningless; warnings repeat the
 * original's warnings (and a few of ours for options a loss type silently ignores).
 */
import { PoetMultiError } from '../util/errors.ts';
import {
  DPO_LOSS_TYPES,
  F_DIVERGENCE_TYPES,
  SIMPO_LOSS_TYPES,
  type DpoLossOptions,
  type PreferenceLossOptions,
  type SimpoLossOptions,
} from './types.ts';

export interface LossOptionProblems {
  errors: string[];
  warnings: string[];
}

/** DPO types that never use the f-divergence logits z, and compare against the reference regardless. */
const LOG_RATIO_TYPES = new Set(['bco_pair', 'sppo_hard', 'nca_pair', 'aot_pair', 'aot']);

const fmt = (v: unknown) => (typeof v === 'string' ? `'${v}'` : String(v));
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export function validateLossOptions(o: PreferenceLossOptions): LossOptionProblems {
  const p: LossOptionProblems = { errors: [], warnings: [] };
  if (!isNum(o.beta) || o.beta <= 0) p.errors.push(`beta: expected a number > 0, found ${fmt(o.beta)}`);
  if (!isNum(o.label_smoothing) || o.label_smoothing < 0 || o.label_smoothing > 1) {
    p.errors.push(`label_smoothing: expected a number in [0, 1], found ${fmt(o.label_smoothing)}`);
  }
  if (o.trainer === 'dpo') validateDpo(o, p);
  else validateSimpo(o, p);
  return p;
}

function validateDpo(o: DpoLossOptions, p: LossOptionProblems): void {
  const eps = o.label_smoothing;
  if (o.loss_type === 'kto_pair') {
    p.errors.push(
      "loss_type: 'kto_pair' is not supported by the DPO trainer (TRL 0.9.6 removed it; KTO needs unpaired data and its own trainer)",
    );
  } else if (!(DPO_LOSS_TYPES as readonly string[]).includes(o.loss_type)) {
    p.errors.push(`loss_type: expected one of ${DPO_LOSS_TYPES.join(', ')} for DPO, found ${fmt(o.loss_type)}`);
  }
  if (['hinge', 'ipo', 'bco_pair'].includes(o.loss_type) && eps > 0) {
    p.warnings.push(
      `label_smoothing: loss_type '${o.loss_type}' does not support label smoothing; ignoring label_smoothing=${eps}`,
    );
  }
  if (o.loss_type === 'robust' && eps >= 0.5) {
    p.errors.push(`label_smoothing: robust DPO divides by 1 − 2·label_smoothing and needs it < 0.5, found ${eps}`);
  }
  if (o.loss_type === 'exo_pair' && eps >= 1) {
    p.errors.push(`label_smoothing: exo_pair takes log(1 − label_smoothing) and needs it < 1, found ${eps}`);
  }
  if (!(F_DIVERGENCE_TYPES as readonly string[]).includes(o.f_divergence_type)) {
    p.errors.push(`f_divergence_type: expected one of ${F_DIVERGENCE_TYPES.join(', ')}, found ${fmt(o.f_divergence_type)}`);
  } else if (o.f_divergence_type === 'alpha_divergence' && (!isNum(o.f_alpha_divergence_coef) || o.f_alpha_divergence_coef === 0)) {
    p.errors.push(`f_alpha_divergence_coef: expected a non-zero number (the loss divides by it), found ${fmt(o.f_alpha_divergence_coef)}`);
  }
  if (LOG_RATIO_TYPES.has(o.loss_type)) {
    if (o.f_divergence_type !== 'reverse_kl' && (F_DIVERGENCE_TYPES as readonly string[]).includes(o.f_divergence_type)) {
      p.warnings.push(`f_divergence_type: loss_type '${o.loss_type}' does not use it; ignoring f_divergence_type='${o.f_divergence_type}'`);
    }
    if (o.reference_free) {
      p.warnings.push(`reference_free: loss_type '${o.loss_type}' always compares against the reference model; ignoring reference_free`);
    }
  }
  if (o.rpo_alpha !== null && !isNum(o.rpo_alpha)) {
    p.errors.push(`rpo_alpha: expected a number or null, found ${fmt(o.rpo_alpha)}`);
  }
}

function validateSimpo(o: SimpoLossOptions, p: LossOptionProblems): void {
  if (!(SIMPO_LOSS_TYPES as readonly string[]).includes(o.loss_type)) {
    p.errors.push(`loss_type: expected one of ${SIMPO_LOSS_TYPES.join(', ')} for SimPO, found ${fmt(o.loss_type)}`);
  }
  if (o.loss_type === 'hinge' && o.label_smoothing > 0) {
    p.warnings.push(`label_smoothing: loss_type 'hinge' does not support label smoothing; ignoring label_smoothing=${o.label_smoothing}`);
  }
  if (!isNum(o.gamma_beta_ratio)) p.errors.push(`gamma_beta_ratio: expected a number, found ${fmt(o.gamma_beta_ratio)}`);
  if (!isNum(o.sft_weight) || o.sft_weight < 0) p.errors.push(`sft_weight: expected a number ≥ 0, found ${fmt(o.sft_weight)}`);
}

/**
 * Throws a PoetMultiError listing every error (prefixed by `source`, e.g. the config file) and
 * returns the warnings for the trainer to print.
 */
export function assertValidLossOptions(o: PreferenceLossOptions, source = 'loss options'): string[] {
  const { errors, warnings } = validateLossOptions(o);
  if (errors.length > 0) throw new PoetMultiError(`${source}: invalid ${o.trainer} loss options`, errors);
  return warnings;
}
