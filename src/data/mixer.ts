/**
 * `dataset_mixer` + `dataset_splits` → train and test example lists, as the original's `mix_datasets`
 * (alignment/data.py, spec §3.1):
 *  - every dataset × every split is read; a split whose name contains "train" goes to train, one that
 *    contains "test" goes to test ("train" is checked first); any other name is an error;
 *  - train splits are subsampled to their FIRST ⌊fraction·n⌋ rows (n = raw rows of the split, counted
 *    before validation, so skipping a bad row never pulls in a row the original would not have used);
 *    test splits are not subsampled;
 *  - each side is concatenated in mixer order and shuffled with seed 42 (see shuffle.ts: not numpy's order);
 *  - fractions must be ≥ 0 (and ≤ 1: the original fails with an index error above 1).
 * `dataset_configs` (HF config names) have no meaning for local files; the list must match the mixer's
 * length as in the original and is otherwise ignored.
 */
import { PoetError } from '../util/errors.ts';
import { countRecords, readRecords, resolveSplitFiles } from './sources.ts';
import type { RawRecord } from './sources.ts';
import { seededShuffle } from './shuffle.ts';
import type { RowLocation, SkippedRow } from './types.ts';
import { DataRowError } from './validate.ts';

export interface MixerOptions {
  /** dataset path → fraction, in order. */
  datasetMixer: Record<string, number>;
  datasetSplits: string[];
  datasetConfigs?: string[] | null;
  skipInvalidRows: boolean;
  /** The original hard-codes 42. */
  shuffleSeed?: number;
}

export interface SplitSummary {
  dataset: string;
  split: string;
  side: 'train' | 'test';
  files: string[];
  rowsInFile: number;
  rowsUsed: number;
  rowsSkipped: number;
}

export interface MixedData<T> {
  train: T[];
  test: T[];
  skipped: SkippedRow[];
  splits: SplitSummary[];
}

export function splitSide(split: string): 'train' | 'test' {
  if (split.includes('train')) return 'train';
  if (split.includes('test')) return 'test';
  throw new PoetError(`dataset_splits: split "${split}" is neither a train split (name containing "train") nor a test split (containing "test")`);
}

export function checkMixer(opts: MixerOptions): void {
  const entries = Object.entries(opts.datasetMixer);
  if (entries.length === 0) throw new PoetError('dataset_mixer: expected at least one dataset path, found none');
  for (const [path, frac] of entries) {
    if (typeof frac !== 'number' || !Number.isFinite(frac)) throw new PoetError(`dataset_mixer.${path}: expected a fraction between 0 and 1, found ${String(frac)}`);
    if (frac < 0) throw new PoetError(`dataset_mixer.${path}: dataset fractions cannot be negative, found ${frac}`);
    if (frac > 1) throw new PoetError(`dataset_mixer.${path}: a fraction above 1 would need more rows than the split has, found ${frac}`);
  }
  if (opts.datasetSplits.length === 0) throw new PoetError('dataset_splits: expected at least one split name, found none');
  for (const s of opts.datasetSplits) splitSide(s);
  if (opts.datasetConfigs && opts.datasetConfigs.length !== entries.length) {
    throw new PoetError(`dataset_configs: expected one entry per dataset_mixer entry (${entries.length}), found ${opts.datasetConfigs.length}`);
  }
}

/**
 * Reads, subsamples, validates (via `convert`) and shuffles. `convert` throws DataRowError for a bad
 * row; with `skipInvalidRows` the row is dropped and listed in `skipped`, otherwise the error propagates.
 */
export async function loadMixed<T>(opts: MixerOptions, convert: (record: RawRecord, loc: RowLocation) => T): Promise<MixedData<T>> {
  checkMixer(opts);
  const train: T[] = [];
  const test: T[] = [];
  const skipped: SkippedRow[] = [];
  const splits: SplitSummary[] = [];
  for (const [path, frac] of Object.entries(opts.datasetMixer)) {
    for (const split of opts.datasetSplits) {
      const side = splitSide(split);
      const files = resolveSplitFiles(path, split);
      let rowsInFile = 0;
      for (const f of files) rowsInFile += await countRecords(f);
      // int(frac * len) in Python truncates toward zero; frac ≥ 0 here so floor is the same.
      let budget = side === 'train' ? Math.floor(frac * rowsInFile) : rowsInFile;
      const summary: SplitSummary = { dataset: path, split, side, files, rowsInFile, rowsUsed: 0, rowsSkipped: 0 };
      const out = side === 'train' ? train : test;
      for (const f of files) {
        if (budget <= 0) break;
        let taken = 0;
        for await (const item of readRecords(f, budget)) {
          taken++;
          try {
            if ('error' in item) throw new DataRowError(item.loc, item.error);
            out.push(convert(item.record, item.loc));
            summary.rowsUsed++;
          } catch (e) {
            if (!(e instanceof DataRowError) || !opts.skipInvalidRows) throw e;
            skipped.push({ loc: e.loc, reason: e.reason });
            summary.rowsSkipped++;
          }
        }
        budget -= taken;
      }
      splits.push(summary);
    }
  }
  const seed = opts.shuffleSeed ?? 42;
  return { train: seededShuffle(train, seed), test: seededShuffle(test, seed), skipped, splits };
}
