/**
 * Head-to-head win-rate metrics as AlpacaEval 0.6 computes them (`metrics/helpers.py` describe_head2head with
 * the absolute rule for `win_rate`, the zero-one rule for `discrete_win_rate`; spec §6.2):
 *   - a preference of 0 is the legacy draw code and counts as 1.5;
 *   - n_draws counts preferences equal to 1.5 (or 0) before anything is dropped;
 *   - values outside [1, 2] (NaN included) are dropped;
 *   - win_rate = 100·mean(p − 1), standard_error = 100·sem(p − 1) (sample std, ddof = 1, over √n);
 *   - n_wins = #(p − 1 > 0.5), n_wins_base = #(p − 1 < 0.5), n_total = #kept;
 *   - discrete: exact 1.5 becomes a draw, everything else is rounded half-to-even, then the same formulas.
 */

export interface WinRateMetrics {
  win_rate: number;
  standard_error: number;
  n_wins: number;
  n_wins_base: number;
  n_draws: number;
  n_total: number;
  discrete_win_rate: number;
}

/** Mean and standard error of the mean (ddof = 1), NaN when undefined (n = 0, or n = 1 for the sem). */
export function meanAndSem(values: number[]): { mean: number; sem: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, sem: NaN };
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / n;
  if (n < 2) return { mean, sem: NaN };
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  return { mean, sem: Math.sqrt(ss / (n - 1)) / Math.sqrt(n) };
}

function describe(prefs: number[]) {
  const kept = prefs.map((p) => (p === 0 ? 1.5 : p)).filter((p) => p >= 1 && p <= 2).map((p) => p - 1);
  const { mean, sem } = meanAndSem(kept);
  return {
    win_rate: mean * 100,
    standard_error: sem * 100,
    n_wins: kept.filter((p) => p > 0.5).length,
    n_wins_base: kept.filter((p) => p < 0.5).length,
    n_total: kept.length,
  };
}

/** numpy/pandas rounding: half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Win-rate metrics of preferences in the reference/model frame (1 = reference wins, 2 = model wins). */
export function winRateMetrics(preferences: (number | null)[]): WinRateMetrics {
  const prefs = preferences.map((p) => (p === null ? NaN : p));
  const n_draws = prefs.filter((p) => p === 1.5 || p === 0).length;
  const absolute = describe(prefs);
  const discrete = describe(prefs.map((p) => (p === 1.5 ? 0 : Number.isNaN(p) ? NaN : roundHalfEven(p))));
  return { ...absolute, n_draws, discrete_win_rate: discrete.win_rate };
}
