/**
 * One AlpacaEval-style evaluation: read and pair the outputs, annotate with a judge (through the cache),
 * compute the head-to-head metrics and the length-controlled win rate, and write alpaca_eval-like outputs:
 *   <out>/annotations.json              every judged pair (reference = output_1, model = output_2)
 *   <out>/leaderboard.csv               one row, alpaca_eval's columns plus poet's extras
 *   <out>/length_controlled_weights.csv the GLM weights (when the GLM was fitted)
 *   <out>/metrics.json                  everything above as one object, plus run bookkeeping
 *   <out>/annotator_cache.json          the verdict cache (reused by the next run into the same folder)
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toCsv } from '../csv.ts';
import { annotatePairs } from './annotate.ts';
import { AnnotationCache } from './cache.ts';
import { pairOutputs, readAlpacaOutputs } from './inputs.ts';
import { isExtremeChange, lengthControlledWinRate, type GamedRow } from './length_controlled.ts';
import { readGamedRows, readInstructionDifficulty } from './side_tables.ts';
import type { Annotation, PairwiseJudge } from './types.ts';
import { winRateMetrics, type WinRateMetrics } from './winrate.ts';

export interface AlpacaEvalOptions {
  modelOutputs: string;
  referenceOutputs: string;
  outDir: string;
  judge: PairwiseJudge;
  seed?: number;
  /** leaderboard row name; defaults to the model's generator */
  name?: string;
  instructionDifficultyFile?: string;
  gamedFile?: string;
  /** false: no cache file (the demo's free local judge) */
  useCache?: boolean;
  log?: (message: string) => void;
  onProgress?: (done: number, total: number) => void;
}

export interface AlpacaEvalMetrics extends WinRateMetrics {
  name: string;
  annotator: string;
  avg_length: number;
  length_controlled_winrate: number | null;
  length_controlled_winrate_nodiff: number | null;
  /** why LC is missing, when it is */
  lc_note?: string;
  n_pairs: number;
  n_cached: number;
  n_judged: number;
  n_missing: number;
  n_failed: number;
  /** false when some pairs were not judged (request budget, failures) */
  complete: boolean;
}

export interface AlpacaEvalResult {
  metrics: AlpacaEvalMetrics;
  annotations: Annotation[];
  glm?: { columns: string[]; weights: number[]; bestC: number };
}

export const LEADERBOARD_COLUMNS = [
  'name',
  'win_rate',
  'standard_error',
  'n_wins',
  'n_wins_base',
  'n_draws',
  'n_total',
  'discrete_win_rate',
  'mode',
  'avg_length',
  'length_controlled_winrate',
  'length_controlled_winrate_nodiff',
  'annotator',
  'n_missing',
  'n_failed',
] as const;

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export async function runAlpacaEval(opts: AlpacaEvalOptions): Promise<AlpacaEvalResult> {
  const log = opts.log ?? (() => {});
  const model = readAlpacaOutputs(opts.modelOutputs);
  const reference = readAlpacaOutputs(opts.referenceOutputs);
  const pairs = pairOutputs(opts.modelOutputs, model, opts.referenceOutputs, reference);
  // Side tables are read before any judging, so a bad file fails before money is spent.
  const difficulty = opts.instructionDifficultyFile ? readInstructionDifficulty(opts.instructionDifficultyFile, pairs) : undefined;
  const gamed: GamedRow[] | undefined = opts.gamedFile ? readGamedRows(opts.gamedFile) : undefined;

  mkdirSync(opts.outDir, { recursive: true });
  const cache = opts.useCache === false ? undefined : new AnnotationCache(join(opts.outDir, 'annotator_cache.json'));
  const annotated = await annotatePairs(pairs, opts.judge, { seed: opts.seed ?? 0, cache, onProgress: opts.onProgress });
  const prefs = annotated.annotations.map((a) => a.preference);

  const wr = winRateMetrics(prefs);
  const name = opts.name ?? pairs[0]!.model.generator;
  const baselineName = pairs[0]!.reference.generator;
  let lc: number | null = null;
  let lcNodiff: number | null = null;
  let lcNote: string | undefined;
  let glm: AlpacaEvalResult['glm'];
  if (name === baselineName || pairs[0]!.model.generator === baselineName) {
    // alpaca_eval: a model against itself is 50 by construction.
    if (difficulty) lc = 50;
    else lcNodiff = 50;
  } else {
    const r = lengthControlledWinRate({
      lenBaseline: pairs.map((p) => [...p.reference.output].length),
      lenModel: pairs.map((p) => [...p.model.output].length),
      preference: prefs,
      instructionDifficulty: difficulty,
      gamed,
    });
    if ('skipped' in r) lcNote = r.skipped;
    else {
      if (r.metric === 'length_controlled_winrate') lc = r.winrate;
      else lcNodiff = r.winrate;
      glm = { columns: r.columns, weights: r.weights, bestC: r.bestC };
      if (isExtremeChange(wr.win_rate, r.winrate)) {
        log(
          `warning: the length-controlled win rate (${r.winrate.toFixed(1)}%) is very different from the raw one ` +
            `(${wr.win_rate.toFixed(1)}%); this can be a sign that the GLM fit failed`,
        );
      }
    }
  }

  const metrics: AlpacaEvalMetrics = {
    name,
    annotator: opts.judge.name,
    ...wr,
    // alpaca_eval's avg_length: mean characters of the evaluated model's outputs (all of them).
    avg_length: pairs.reduce((a, p) => a + [...p.model.output].length, 0) / pairs.length,
    length_controlled_winrate: lc,
    length_controlled_winrate_nodiff: lcNodiff,
    n_pairs: pairs.length,
    n_cached: annotated.nCached,
    n_judged: annotated.nJudged,
    n_missing: annotated.nMissing,
    n_failed: annotated.nFailed,
    complete: annotated.nMissing === 0 && annotated.nFailed === 0,
  };
  if (lcNote) metrics.lc_note = lcNote;

  writeAtomic(join(opts.outDir, 'annotations.json'), JSON.stringify(annotated.annotations, null, 2) + '\n');
  const row = { ...metrics, mode: 'poet' } as Record<string, unknown>;
  writeAtomic(
    join(opts.outDir, 'leaderboard.csv'),
    toCsv([...LEADERBOARD_COLUMNS], [LEADERBOARD_COLUMNS.map((c) => row[c] as string | number | null)]),
  );
  if (glm) {
    writeAtomic(join(opts.outDir, 'length_controlled_weights.csv'), toCsv(['', ...glm.columns], [[name, ...glm.weights]]));
  }
  writeAtomic(
    join(opts.outDir, 'metrics.json'),
    JSON.stringify({ ...metrics, baseline: baselineName, glm: glm ?? null }, null, 2) + '\n',
  );
  return { metrics, annotations: annotated.annotations, glm };
}
