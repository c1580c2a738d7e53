/**
 * loadTrainingConfig: a YAML file plus command-line overrides → a resolved TrainingConfig, or one
 * PoetMultiError listing every problem with its location (exit code 2).
 *
 * Overrides replace file values key by key (a whole list or mapping is replaced, not merged).
 */
import { PoetMultiError } from '../util/errors.ts';
import { fieldInfo, isFieldName } from './fields.ts';
import { OverrideCastError, castOverride, scanOverrides } from './overrides.ts';
import { resolveEntries, suggest, type Entry, type TrainingConfig } from './resolve.ts';
import { readConfigFile } from './source.ts';

export interface LoadedConfig {
  config: TrainingConfig;
  /** Decisions and warnings to print at start (trainer type chosen, keys not used by poet, …). */
  notices: string[];
}

export function loadTrainingConfig(file: string, overrides: readonly string[] = []): LoadedConfig {
  const problems: string[] = [];
  const entries = new Map<string, Entry>();

  const read = readConfigFile(file);
  if (!read.ok) problems.push(...read.problems);
  else {
    for (const [key, value] of read.source.values) {
      entries.set(key, { value, locate: (sub, key2) => read.source.locate([key, ...sub], key2) });
    }
  }

  // Override problems are listed after the file's own.
  const overrideProblems: string[] = [];
  const scan = scanOverrides(overrides);
  overrideProblems.push(...scan.problems);
  for (const o of scan.overrides) {
    const where = `override ${o.arg}`;
    if (!isFieldName(o.key)) {
      const hint = suggest(o.key);
      overrideProblems.push(`${where} ${o.key}: unknown key${hint ? ` (did you mean ${hint}?)` : ''}; see docs/configs.md for every key`);
      continue;
    }
    try {
      const value = castOverride(fieldInfo[o.key].kind, o.value);
      entries.set(o.key, { value, locate: () => where });
    } catch (err) {
      if (!(err instanceof OverrideCastError)) throw err;
      overrideProblems.push(`${where} ${o.key}: ${err.message}`);
    }
  }

  // A file that could not be read or parsed has no keys to check; report its problems (and the overrides').
  if (!read.ok) {
    problems.push(...overrideProblems);
    throw new PoetMultiError(summary(file, problems.length), problems);
  }

  const result = resolveEntries(entries, file);
  problems.push(...result.problems, ...overrideProblems);
  if (problems.length > 0 || result.config === null) throw new PoetMultiError(summary(file, problems.length), problems);
  return { config: result.config, notices: result.notices };
}

/**
 * Resolves a config given as a plain object (for programmatic use: the demo, tests). Same checks and
 * defaults as a file; problems are located as `<label> key`.
 */
export function resolveTrainingConfig(values: Record<string, unknown>, label = '<config>'): LoadedConfig {
  const entries = new Map<string, Entry>();
  for (const [key, value] of Object.entries(values)) {
    entries.set(key, { value, locate: () => label });
  }
  const result = resolveEntries(entries, label);
  if (result.problems.length > 0 || result.config === null) {
    throw new PoetMultiError(summary(label, result.problems.length), result.problems);
  }
  return { config: result.config, notices: result.notices };
}

function summary(file: string, n: number): string {
  return `invalid training config ${file} (${n} problem${n === 1 ? '' : 's'}):`;
}
