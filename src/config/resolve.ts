/**
 * From raw key → value entries (a YAML file plus overrides) to a resolved TrainingConfig:
 *   1. unknown keys (with a "did you mean")             → problems
 *   2. each present key checked by its zod schema       → problems, located by the zod issue path
 *   3. trainer type: explicit, or decided (SimPO-only key → simpo, else dpo) with a notice
 *   4. keys of another trainer                          → problems
 *   5. trainer-dependent defaults (beta, lengths), aliases (evaluation_strategy), HF derivations
 *   6. cross-field checks                               → problems or notices
 * Every problem of the input is collected in one pass; checks that depend on an invalid key are skipped.
 */
import type { z } from 'zod';
import {
  DPO_LOSS_TYPES,
  FIELD_NAMES,
  SIMPO_LOSS_TYPES,
  fieldInfo,
  fieldSchemas,
  isFieldName,
  type FieldName,
  type TrainerType,
  trainingConfigSchema,
} from './fields.ts';
import type { PathPart } from './source.ts';

type Parsed = z.output<typeof trainingConfigSchema>;
/** Keys poet acts on (the `unknown`-typed ones are accepted-but-unused). */
type UsedKeys = { [K in keyof Parsed]-?: unknown extends Parsed[K] ? never : K }[keyof Parsed];

export type DpoLossType = (typeof DPO_LOSS_TYPES)[number];

/** The fully resolved training config: every key poet acts on, with its default filled in. */
export type TrainingConfig = Omit<
  Pick<Parsed, UsedKeys>,
  | 'trainer_type'
  | 'beta'
  | 'loss_type'
  | 'max_length'
  | 'max_prompt_length'
  | 'max_completion_length'
  | 'evaluation_strategy'
  | 'eval_steps'
  | 'run_name'
  | 'data_seed'
  | 'tokenizer_name_or_path'
  | 'is_encoder_decoder'
> & {
  trainer_type: TrainerType;
  /** DPO β 0.1 / SimPO β 2.0 by default (spec §2). Present but unused for sft. */
  beta: number;
  /** A DPO loss type; for simpo only 'sigmoid' | 'hinge'. */
  loss_type: DpoLossType;
  max_length: number;
  max_prompt_length: number;
  max_completion_length: number;
  /** eval_steps, or logging_steps when unset (HF). */
  eval_steps: number;
  /** run_name, or output_dir when unset (HF). */
  run_name: string;
  /** data_seed, or seed when unset. */
  data_seed: number;
  /** tokenizer_name_or_path, or model_name_or_path when unset. */
  tokenizer_name_or_path: string;
};

/** Where a raw value came from, for messages. */
export interface Entry {
  value: unknown;
  /** Location of the value (or of a nested part), e.g. `cfg.yaml:12:7` or `override --beta=x`. */
  locate(sub: PathPart[], key?: boolean): string;
}

export interface ResolveResult {
  config: TrainingConfig | null;
  problems: string[];
  notices: string[];
}

/** Defaults of the original trainers when max_length / max_prompt_length are unset (spec §2.1, §2.2). */
const DEFAULT_MAX_LENGTH = { dpo: 512, simpo: 512, sft: 1024 } as const;
const DEFAULT_MAX_PROMPT_LENGTH = 128;
const DPO_DEFAULT_MAX_COMPLETION = 1_000_000;
const DEFAULT_BETA = { dpo: 0.1, simpo: 2.0, sft: 0.1 } as const;

export function resolveEntries(entries: Map<string, Entry>, fileLabel: string): ResolveResult {
  const problems: string[] = [];
  const notices: string[] = [];
  const valid = new Map<FieldName, unknown>();
  const invalid = new Set<string>();

  // 1–2. unknown keys and per-key schema checks
  for (const [key, entry] of entries) {
    if (!isFieldName(key)) {
      const hint = suggest(key);
      problems.push(`${entry.locate([], true)} ${key}: unknown key${hint ? ` (did you mean ${hint}?)` : ''}; see docs/configs.md for every key`);
      invalid.add(key);
      continue;
    }
    const r = fieldSchemas[key].safeParse(entry.value);
    if (r.success) valid.set(key, r.data);
    else {
      invalid.add(key);
      for (const issue of r.error.issues) problems.push(describeIssue(key, entry, issue));
    }
  }
  const has = (k: FieldName) => entries.has(k) && !invalid.has(k);
  const get = <K extends FieldName>(k: K): z.output<(typeof fieldSchemas)[K]> => {
    if (valid.has(k)) return valid.get(k) as z.output<(typeof fieldSchemas)[K]>;
    return fieldSchemas[k].safeParse(undefined).data as z.output<(typeof fieldSchemas)[K]>;
  };
  const at = (k: string, sub: PathPart[] = []) => entries.get(k)?.locate(sub) ?? fileLabel;

  for (const req of ['model_name_or_path', 'dataset_mixer', 'output_dir'] as const) {
    if (!entries.has(req)) problems.push(`${fileLabel} ${req}: required key is missing (${fieldInfo[req].doc.split('. ')[0]})`);
  }

  // 3. trainer type
  const setKeys = [...entries.keys()].filter(isFieldName);
  const simpoKeys = setKeys.filter((k) => fieldInfo[k].only === 'simpo');
  const dpoKeys = setKeys.filter((k) => fieldInfo[k].only === 'dpo');
  let trainer: TrainerType | null = null;
  if (entries.has('trainer_type')) {
    trainer = has('trainer_type') ? (get('trainer_type') as TrainerType) : null;
  } else if (simpoKeys.length > 0 && dpoKeys.length > 0) {
    problems.push(
      `${fileLabel} trainer_type: cannot decide the trainer: ${simpoKeys.join(', ')} ${simpoKeys.length > 1 ? 'are' : 'is'} SimPO-only but ` +
        `${dpoKeys.join(', ')} ${dpoKeys.length > 1 ? 'are' : 'is'} DPO-only; set trainer_type: dpo | simpo`,
    );
  } else if (simpoKeys.length > 0) {
    trainer = 'simpo';
    notices.push(`trainer_type is not set: using simpo because ${simpoKeys.join(', ')} ${simpoKeys.length > 1 ? 'are SimPO-only keys' : 'is a SimPO-only key'}`);
  } else {
    trainer = 'dpo';
    notices.push(
      'trainer_type is not set: using dpo (no SimPO-only key such as gamma_beta_ratio or sft_weight is set). ' +
        'Unlike the original, which ran its DPO configs through the SimPO script (spec §8.2), poet trains DPO with a reference model.',
    );
  }

  // 4. keys of another trainer
  if (trainer !== null) {
    for (const k of setKeys) {
      const only = fieldInfo[k].only;
      if (only === undefined) continue;
      const fits = only === 'preference' ? trainer !== 'sft' : only === trainer;
      if (!fits) {
        const owner = only === 'preference' ? 'a preference-training (dpo/simpo) key' : `a ${only === 'dpo' ? 'DPO' : 'SimPO'}-only key`;
        problems.push(`${entries.get(k)!.locate([], true)} ${k}: ${owner}, but trainer_type is ${trainer}`);
        invalid.add(k);
      }
    }
  }

  // 5. aliases and defaults
  let evalStrategy = get('eval_strategy');
  if (entries.has('evaluation_strategy') && has('evaluation_strategy')) {
    const alias = get('evaluation_strategy')!;
    if (entries.has('eval_strategy') && has('eval_strategy') && get('eval_strategy') !== alias) {
      problems.push(`${at('evaluation_strategy')} evaluation_strategy: is "${alias}" but eval_strategy is "${get('eval_strategy')}"; set only eval_strategy (evaluation_strategy is its deprecated name)`);
    } else {
      evalStrategy = alias;
      notices.push(`evaluation_strategy is the deprecated name of eval_strategy: using it as eval_strategy (${alias})`);
    }
  }

  const t = trainer ?? 'dpo';
  const explicit = <K extends 'max_length' | 'max_prompt_length' | 'max_completion_length'>(k: K): number | null =>
    has(k) ? ((get(k) as number | null | undefined) ?? null) : null;
  let maxLength = explicit('max_length');
  let maxPrompt = explicit('max_prompt_length');
  if (maxLength === null) {
    maxLength = DEFAULT_MAX_LENGTH[t];
    if (!invalid.has('max_length')) notices.push(`max_length is not set: using ${maxLength} (the original ${t === 'sft' ? 'SFT trainer' : 'trainers'}' default)`);
  }
  if (maxPrompt === null) {
    // SFT does not use it; keep it consistent with a short max_length there.
    maxPrompt = t === 'sft' ? Math.max(1, Math.min(DEFAULT_MAX_PROMPT_LENGTH, maxLength - 1)) : DEFAULT_MAX_PROMPT_LENGTH;
    if (!invalid.has('max_prompt_length') && t !== 'sft') notices.push(`max_prompt_length is not set: using ${maxPrompt} (the original trainers' default)`);
  }
  const maxCompletion = explicit('max_completion_length') ?? (t === 'dpo' ? DPO_DEFAULT_MAX_COMPLETION : maxLength);

  // 6. cross-field checks (each only when the keys it reads are valid)
  const ok = (...ks: FieldName[]) => ks.every((k) => !invalid.has(k));
  if (ok('max_length', 'max_prompt_length') && (t !== 'sft' || entries.has('max_prompt_length')) && maxPrompt >= maxLength) {
    const where = entries.has('max_prompt_length') ? at('max_prompt_length') : at('max_length');
    problems.push(`${where} max_prompt_length: must be smaller than max_length (${maxLength}), found ${maxPrompt}`);
  }
  const lossType = get('loss_type');
  if (ok('loss_type') && trainer !== null && trainer !== 'sft') {
    const allowed: readonly string[] = trainer === 'simpo' ? SIMPO_LOSS_TYPES : DPO_LOSS_TYPES;
    if (!allowed.includes(lossType)) {
      const extra = lossType === 'kto_pair' ? ' (kto_pair was removed from DPO in TRL; use a KTO trainer)' : '';
      problems.push(`${at('loss_type')} loss_type: expected one of ${allowed.map((s) => `"${s}"`).join(', ')} for ${trainer}, found ${JSON.stringify(lossType)}${extra}`);
    }
  }
  const eps = get('label_smoothing');
  if (ok('loss_type', 'label_smoothing') && eps > 0) {
    if (['hinge', 'ipo', 'bco_pair'].includes(lossType)) {
      notices.push(`warning: label_smoothing (${eps}) is ignored by loss_type ${lossType}`);
    }
    if (lossType === 'robust' && eps >= 0.5) {
      problems.push(`${at('label_smoothing')} label_smoothing: robust DPO divides by 1 − 2ε, so it must be < 0.5, found ${eps}`);
    }
  }
  if (ok('precompute_ref_log_probs', 'sync_ref_model') && get('precompute_ref_log_probs') && get('sync_ref_model')) {
    problems.push(`${at('sync_ref_model')} sync_ref_model: cannot be true together with precompute_ref_log_probs (precomputed reference log-probs would go stale when the reference is synced)`);
  }
  const mixer = get('dataset_mixer') as Record<string, number> | undefined;
  const splits = get('dataset_splits');
  if (ok('dataset_splits')) {
    splits.forEach((s, i) => {
      if (!s.includes('train') && !s.includes('test')) {
        problems.push(`${at('dataset_splits', [i])} dataset_splits[${i}]: a split name must contain "train" or "test" (to know where it goes), found ${JSON.stringify(s)}`);
      }
    });
    if (!splits.some((s) => s.includes('train'))) {
      problems.push(`${at('dataset_splits')} dataset_splits: no split name contains "train", so there is nothing to train on; found ${JSON.stringify(splits)}`);
    }
  }
  if (ok('dataset_mixer') && mixer !== undefined && Object.keys(mixer).length === 0) {
    problems.push(`${at('dataset_mixer')} dataset_mixer: expected at least one dataset, found an empty mapping`);
  }
  const datasetConfigs = get('dataset_configs');
  if (ok('dataset_mixer', 'dataset_configs') && mixer !== undefined && datasetConfigs !== null && datasetConfigs.length !== Object.keys(mixer).length) {
    problems.push(`${at('dataset_configs')} dataset_configs: must have one entry per dataset_mixer entry (${Object.keys(mixer).length}), found ${datasetConfigs.length}`);
  }
  if (ok('num_train_epochs', 'max_steps') && get('max_steps') <= 0 && get('num_train_epochs') <= 0) {
    problems.push(`${at('num_train_epochs')} num_train_epochs: must be > 0 when max_steps is not set (> 0), found ${get('num_train_epochs')}`);
  }
  if (ok('warmup_steps', 'warmup_ratio') && get('warmup_steps') > 0 && get('warmup_ratio') > 0) {
    notices.push(`warning: both warmup_steps (${get('warmup_steps')}) and warmup_ratio (${get('warmup_ratio')}) are set; warmup_steps wins (HF)`);
  }
  const doEval = get('do_eval') || evalStrategy !== 'no';
  if (doEval && ok('dataset_splits') && !splits.some((s) => s.includes('test'))) {
    notices.push('warning: evaluation is on (do_eval / eval_strategy) but no split name contains "test": evaluation will be skipped');
  }
  if (get('bf16') || get('fp16')) {
    notices.push(
      `${get('bf16') ? 'bf16' : 'fp16'}: true is accepted for compatibility: poet computes in fp32 on CPU; weights are saved in the dtype they were loaded in unless save_dtype is set`,
    );
  }
  const unused = setKeys.filter((k) => fieldInfo[k].use === 'unused' && !invalid.has(k));
  if (unused.length > 0) notices.push(`not used by poet (accepted for compatibility with the original): ${unused.join(', ')}`);

  if (problems.length > 0 || trainer === null) return { config: null, problems, notices };

  // Assemble: every used key, with its default or resolved value.
  const out: Record<string, unknown> = {};
  for (const k of FIELD_NAMES) {
    if (fieldInfo[k].use !== 'used') continue;
    out[k] = get(k);
  }
  const logging = get('logging_steps');
  Object.assign(out, {
    trainer_type: trainer,
    beta: has('beta') ? get('beta') : DEFAULT_BETA[trainer],
    loss_type: lossType,
    max_length: maxLength,
    max_prompt_length: maxPrompt,
    max_completion_length: maxCompletion,
    eval_strategy: evalStrategy,
    eval_steps: get('eval_steps') ?? logging,
    do_eval: doEval,
    run_name: get('run_name') ?? get('output_dir'),
    data_seed: get('data_seed') ?? get('seed'),
    tokenizer_name_or_path: get('tokenizer_name_or_path') ?? get('model_name_or_path'),
    ref_model_name_or_path: trainer === 'dpo' ? (get('ref_model_name_or_path') ?? get('model_name_or_path')) : null,
  });
  delete out.is_encoder_decoder;
  return { config: out as unknown as TrainingConfig, problems, notices };
}

/** Turns one zod issue on key `key` into a located message naming what was expected and what was found. */
function describeIssue(key: string, entry: Entry, issue: z.core.$ZodIssue): string {
  const sub = issue.path.filter((p): p is PathPart => typeof p === 'string' || typeof p === 'number');
  const found = valueAt(entry.value, sub);
  const name = key + sub.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
  let what: string;
  if (issue.code === 'invalid_type') {
    const expected = issue.expected === 'int' ? 'an integer' : issue.expected === 'record' || issue.expected === 'object' ? 'a mapping' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`;
    what = `expected ${expected}`;
  } else if (issue.code === 'invalid_value' && !isCustom(issue.message)) {
    what = `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  } else if ((issue.code === 'too_small' || issue.code === 'too_big') && !isCustom(issue.message)) {
    what = issue.message.replace(/^Too (small|big): expected (number|string|array) to (be|have) /, 'expected a value ').replace(/(>=|<=|>|<)(\S)/, '$1 $2');
    if (issue.origin === 'string') what = 'expected a non-empty string';
    if (issue.origin === 'array') what = 'expected a non-empty list';
  } else {
    what = issue.message;
  }
  return `${entry.locate(sub)} ${name}: ${what}, found ${repr(found)}`;
}

function isCustom(message: string): boolean {
  return !/^(Invalid|Too (small|big))/.test(message);
}

function valueAt(value: unknown, path: PathPart[]): unknown {
  let v = value;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

function repr(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * The closest known keys by edit distance (transpositions count as one edit), as `"a"` or `"a" or "b"`;
 * null when nothing is close (≤ 1 edit per 3 characters, at most 3).
 */
export function suggest(key: string): string | null {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  const exact = FIELD_NAMES.find((k) => norm(k) === norm(key));
  if (exact) return `"${exact}"`;
  const limit = Math.min(3, Math.max(1, Math.floor(key.length / 3)));
  let best: string[] = [];
  let bestD = Infinity;
  for (const k of FIELD_NAMES) {
    const d = editDistance(key, k);
    if (d < bestD) {
      bestD = d;
      best = [k];
    } else if (d === bestD) best.push(k);
  }
  if (bestD > limit) return null;
  return best
    .slice(0, 3)
    .map((k) => `"${k}"`)
    .join(' or ');
}

/** Optimal-string-alignment distance: insert, delete, substitute, swap two neighbours. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
