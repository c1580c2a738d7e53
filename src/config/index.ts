/**
 * Training configuration: one typed schema for every key (fields.ts), YAML + `--key=value` overrides
 * (load.ts, overrides.ts), trainer-dependent defaults and cross-field checks (resolve.ts).
 * See docs/configs.md for every key.
 */
export { loadTrainingConfig, resolveTrainingConfig, type LoadedConfig } from './load.ts';
export { scanOverrides, castOverride, type Override } from './overrides.ts';
export type { TrainingConfig, DpoLossType } from './resolve.ts';
export {
  trainingConfigSchema,
  fieldSchemas,
  fieldInfo,
  FIELD_NAMES,
  TRAINER_TYPES,
  DPO_LOSS_TYPES,
  SIMPO_LOSS_TYPES,
  LR_SCHEDULERS,
  type TrainerType,
  type FieldName,
} from './fields.ts';

import { PoetMultiError } from '../util/errors.ts';
import { scanOverrides, type Override } from './overrides.ts';

/** Splits command-line override arguments (`--key=value` / `--key value`); throws PoetMultiError on malformed or repeated keys. */
export function parseOverrides(argv: readonly string[]): Override[] {
  const { overrides, problems } = scanOverrides(argv);
  if (problems.length > 0) throw new PoetMultiError(`invalid overrides (${problems.length}):`, problems);
  return overrides;
}
