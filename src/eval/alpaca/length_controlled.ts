/**
 * Length-controlled win rate, AlpacaEval's `length_controlled_v1` GLM (Dubois et al. 2024, "Length-Controlled
 * AlpacaEval"; alpaca_eval `metrics/glm_winrate.py`; spec §6.2):
 *
 *   P(model beats baseline) = σ( w_len·tanh(std_delta_len) + w_diff·instruction_difficulty + w_ng·not_gamed )
 *
 * with std_delta_len = (len(baseline) − len(model)) / std(·) in characters (std with ddof = 1, over all pairs),
 * no intercept, fitted by L1 logistic regression on soft labels y = preference − 1 (row duplication), the
 * regularisation strength chosen by cross-validation over LogisticRegressionCV's default grid
 * (Cs = logspace(−4, 4, 10)), GroupKFold(5) over the duplicated rows, scored by the weighted continuous
 * log-loss. LC = 100 · mean_i σ(w_diff·difficulty_i + w_ng), i.e. the prediction at std_delta_len = 0.
 *
 * Differences, by necessity (see docs/evaluation.md):
 * - AlpacaEval also trains on `df_gamed` (GPT-4-Turbo judgements of verbose/concise baselines, weight λ/2 with
 *   λ = 0.2, not_gamed = 0). We do not ship it: pass the rows with `gamed` if you have them; without them
 *   not_gamed is a constant 1 and acts as an (L1-penalised) intercept.
 * - Without per-instruction difficulties the difficulty term is left out and the result is reported as
 *   `length_controlled_winrate_nodiff`, a different number from the leaderboard's LC.
 * - GroupKFold with equal group sizes assigns groups round-robin; sklearn's order comes from numpy's unstable
 *   argsort, ours is reverse index order (what a stable sort gives). Only the choice of C can differ.
 */
import { fitL1Logistic, predictProba, type WeightedRows } from './l1_logistic.ts';

export const GLM_COLUMNS_V1 = [
  'np.tanh(std_delta_len)',
  'instruction_difficulty',
  'not_gamed_baseline.astype(float)',
] as const;

/** A pre-featurised "gamed baseline" row, as in alpaca_eval's df_gamed.csv. */
export interface GamedRow {
  std_delta_len: number;
  instruction_difficulty: number;
  /** already in [0, 1] (1 = the gamed model wins) */
  preference: number;
}

export interface LengthControlledInput {
  /** character lengths of the baseline (reference) outputs, one per pair */
  lenBaseline: number[];
  /** character lengths of the evaluated model's outputs */
  lenModel: number[];
  /** preference per pair in [1, 2] (2 = model wins), 0 = legacy draw, null/NaN = no verdict */
  preference: (number | null)[];
  /** per-pair instruction difficulty; omit for the no-difficulty variant */
  instructionDifficulty?: number[];
  gamed?: GamedRow[];
  /** weight of the gamed rows is λ/2 (two gamed baselines); AlpacaEval uses 0.2 */
  regularizeToBaselineLambda?: number;
  nSplits?: number;
  Cs?: number[];
}

export interface LengthControlledResult {
  /** `length_controlled_winrate` (with difficulty) or `length_controlled_winrate_nodiff` */
  metric: 'length_controlled_winrate' | 'length_controlled_winrate_nodiff';
  /** in percent */
  winrate: number;
  columns: string[];
  weights: number[];
  bestC: number;
  /** [fold][C] negative weighted log-loss */
  cvScores: number[][];
  /** per-pair probability that the model wins at equal length */
  predicted: number[];
  stdDeltaLen: number[];
  nTrain: number;
}

/** LogisticRegressionCV's default grid: Cs = 10 → logspace(−4, 4, 10). */
export function defaultCs(): number[] {
  return Array.from({ length: 10 }, (_, i) => (i === 9 ? 1e4 : Math.pow(10, -4 + (8 / 9) * i)));
}

function stdDdof1(v: number[]): number {
  const n = v.length;
  if (n < 2) return NaN;
  const mean = v.reduce((a, b) => a + b, 0) / n;
  return Math.sqrt(v.reduce((a, b) => a + (b - mean) * (b - mean), 0) / (n - 1));
}

/** Soft labels by duplication: (x, 1) with weight p·w and (x, 0) with weight (1−p)·w. */
function duplicate(X: number[][], p: number[], w: number[], pick: (i: number) => boolean): WeightedRows {
  const rows: WeightedRows = { X: [], y: [], weight: [] };
  for (let i = 0; i < X.length; i++) {
    if (!pick(i)) continue;
    rows.X.push(X[i]!, X[i]!);
    rows.y.push(1, 0);
    rows.weight.push(p[i]! * w[i]!, (1 - p[i]!) * w[i]!);
  }
  return rows;
}

/** alpaca_eval's `logloss_continuous` on one held-out fold: mean over rows of −w·[p log q + (1−p) log(1−q)]. */
function continuousLogLoss(q: number[], p: number[], w: number[]): number {
  let sum = 0;
  for (let i = 0; i < q.length; i++) {
    const qi = Math.min(Math.max(q[i]!, 1e-15), 1 - 1e-15);
    sum += w[i]! * (p[i]! * Math.log(qi) + (1 - p[i]!) * Math.log(1 - qi));
  }
  return -sum / q.length;
}

/**
 * Fit the GLM and predict the length-controlled win rate. Returns null when there are fewer judged pairs than
 * folds (the cross-validation is undefined), with the reason.
 */
export function lengthControlledWinRate(input: LengthControlledInput): LengthControlledResult | { skipped: string } {
  const n = input.preference.length;
  if (input.lenBaseline.length !== n || input.lenModel.length !== n) {
    throw new Error('lengthControlledWinRate: lengths and preferences differ in size');
  }
  const withDiff = input.instructionDifficulty !== undefined;
  if (withDiff && input.instructionDifficulty!.length !== n) {
    throw new Error('lengthControlledWinRate: instruction difficulties and preferences differ in size');
  }
  const nSplits = input.nSplits ?? 5;
  const Cs = input.Cs ?? defaultCs();
  const lambda = input.regularizeToBaselineLambda ?? 0.2;

  // Features over all pairs (the std includes pairs without a verdict, as in alpaca_eval).
  const delta = input.lenBaseline.map((l, i) => l - input.lenModel[i]!);
  const sd = stdDdof1(delta);
  // A constant length difference (or a single pair) has no usable std: the length term is then 0.
  const stdDeltaLen = delta.map((v) => (sd > 0 && Number.isFinite(sd) ? v / sd : 0));
  const featurise = (s: number, diff: number, notGamed: number) =>
    withDiff ? [Math.tanh(s), diff, notGamed] : [Math.tanh(s), notGamed];
  const columns = withDiff ? [...GLM_COLUMNS_V1] : [GLM_COLUMNS_V1[0], GLM_COLUMNS_V1[2]];

  // Training rows: the gamed rows first (as alpaca_eval concatenates them), then the judged model pairs.
  const X: number[][] = [];
  const p: number[] = [];
  const w: number[] = [];
  for (const g of input.gamed ?? []) {
    X.push(featurise(g.std_delta_len, g.instruction_difficulty, 0));
    p.push(g.preference);
    w.push(lambda / 2);
  }
  for (let i = 0; i < n; i++) {
    const raw = input.preference[i];
    if (raw === null || raw === undefined || Number.isNaN(raw)) continue;
    X.push(featurise(stdDeltaLen[i]!, withDiff ? input.instructionDifficulty![i]! : 0, 1));
    p.push((raw === 0 ? 1.5 : raw) - 1);
    w.push(1);
  }
  const metric = withDiff ? 'length_controlled_winrate' : 'length_controlled_winrate_nodiff';
  const nGroups = X.length;
  if (nGroups < nSplits) {
    return { skipped: `${metric} needs at least ${nSplits} judged pairs for its ${nSplits}-fold cross-validation, got ${nGroups}` };
  }

  // GroupKFold(n_splits) with equal group sizes: round-robin over groups in reverse index order.
  const foldOf = new Array<number>(nGroups);
  for (let pos = 0; pos < nGroups; pos++) foldOf[nGroups - 1 - pos] = pos % nSplits;

  const cvScores: number[][] = [];
  for (let k = 0; k < nSplits; k++) {
    const test = [...Array(nGroups).keys()].filter((i) => foldOf[i] === k);
    const train = duplicate(X, p, w, (i) => foldOf[i] !== k);
    cvScores.push(
      Cs.map((C) => {
        const coef = fitL1Logistic(train, C);
        const q = test.map((i) => predictProba(coef, X[i]!));
        return -continuousLogLoss(q, test.map((i) => p[i]!), test.map((i) => w[i]!));
      }),
    );
  }
  // sklearn: best index = argmax of the scores summed over folds (first maximum wins).
  let best = 0;
  let bestScore = -Infinity;
  for (let j = 0; j < Cs.length; j++) {
    const s = cvScores.reduce((acc, row) => acc + row[j]!, 0);
    if (s > bestScore) {
      bestScore = s;
      best = j;
    }
  }
  const weights = fitL1Logistic(duplicate(X, p, w, () => true), Cs[best]!);
  // Predict for every pair (verdict or not) at std_delta_len = 0, not gamed.
  const predicted = Array.from({ length: n }, (_, i) =>
    predictProba(weights, featurise(0, withDiff ? input.instructionDifficulty![i]! : 0, 1)),
  );
  const winrate = (predicted.reduce((a, b) => a + b, 0) / n) * 100;
  return { metric, winrate, columns, weights, bestC: Cs[best]!, cvScores, predicted, stdDeltaLen, nTrain: nGroups };
}

/**
 * alpaca_eval's `get_is_extreme_changes` (abs_diff = 10, rel_diff = 4): true when LC moved suspiciously far
 * from the raw win rate, a sign the GLM fit failed.
 */
export function isExtremeChange(prev: number, next: number, absDiff = 10, relDiff = 4): boolean {
  const tooSmall = next < Math.min(prev - prev / relDiff, prev - absDiff);
  const tooLarge = next > Math.max(prev + (100 - prev) / relDiff, prev + absDiff);
  return tooSmall || tooLarge;
}
