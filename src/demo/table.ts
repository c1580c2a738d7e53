/**
 * The results table: one row per method (SFT first), each metric as mean ± spread over the seeds, where the
 * spread is the sample standard deviation (ddof = 1; absent with one seed).
 */
import type { HeadToHead, RewardSummary } from './score.ts';

export interface ModelScore {
  /** folder/generator name, e.g. "sft" or "dpo-poet-s2" */
  model: string;
  /** "sft" or a preference method name */
  method: string;
  label: string;
  seed: number | null;
  rewards: RewardSummary;
  /** null for the reference (SFT) itself */
  h2h: HeadToHead | null;
}

export interface Stat {
  mean: number;
  /** sample standard deviation over seeds; null with fewer than two values */
  spread: number | null;
  n: number;
}

export interface TableRow {
  method: string;
  label: string;
  seeds: number;
  reward: Stat;
  correct: Stat;
  /** null for the reference row (50 by definition) */
  winRate: Stat | null;
  lcWinRate: Stat | null;
  length: Stat;
}

export function stat(values: number[]): Stat {
  const v = values.filter((x) => Number.isFinite(x));
  const n = v.length;
  if (n === 0) return { mean: NaN, spread: null, n: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, spread: null, n };
  const ss = v.reduce((a, b) => a + (b - mean) ** 2, 0);
  return { mean, spread: Math.sqrt(ss / (n - 1)), n };
}

/** Group scores by method (in `order`, methods without scores left out) and aggregate over seeds. */
export function aggregate(scores: ModelScore[], order: string[]): TableRow[] {
  const rows: TableRow[] = [];
  for (const method of order) {
    const s = scores.filter((x) => x.method === method);
    if (s.length === 0) continue;
    const ref = s.every((x) => x.h2h === null);
    const lcs = s.map((x) => x.h2h?.lcWinRate ?? NaN);
    rows.push({
      method,
      label: s[0]!.label,
      seeds: s.length,
      reward: stat(s.map((x) => x.rewards.meanReward)),
      correct: stat(s.map((x) => x.rewards.correctRate)),
      winRate: ref ? null : stat(s.map((x) => x.h2h?.winRate ?? NaN)),
      lcWinRate: ref ? null : lcs.some(Number.isFinite) ? stat(lcs) : null,
      length: stat(s.map((x) => x.rewards.avgLength)),
    });
  }
  return rows;
}

/** "0.871 ± 0.021", "0.871" (one seed), "–" (no value). */
export function formatStat(s: Stat | null, digits: number): string {
  if (s === null || s.n === 0 || !Number.isFinite(s.mean)) return '–';
  const m = s.mean.toFixed(digits);
  return s.spread === null ? m : `${m} ± ${s.spread.toFixed(digits)}`;
}

export const TABLE_COLUMNS = ['method', 'reward', 'correct %', 'win rate vs SFT %', 'LC win rate %', 'avg length'] as const;

/** The table's cells as strings (the reference row shows "50 (ref)" for the head-to-head columns). */
export function tableCells(rows: TableRow[]): string[][] {
  return rows.map((r) => [
    r.label,
    formatStat(r.reward, 3),
    formatStat(r.correct, 1),
    r.winRate === null ? '50 (ref)' : formatStat(r.winRate, 1),
    r.winRate === null ? '50 (ref)' : formatStat(r.lcWinRate, 1),
    formatStat(r.length, 1),
  ]);
}

/** Plain-text table for the terminal. */
export function formatTable(rows: TableRow[]): string {
  const cells = [TABLE_COLUMNS.slice() as string[], ...tableCells(rows)];
  const width = TABLE_COLUMNS.map((_, c) => Math.max(...cells.map((row) => [...row[c]!].length)));
  const line = (row: string[]) => row.map((cell, c) => (c === 0 ? cell.padEnd(width[c]!) : cell.padStart(width[c]!))).join('  ');
  const rule = width.map((w) => '─'.repeat(w)).join('  ');
  const seeds = Math.max(0, ...rows.filter((r) => r.winRate !== null).map((r) => r.seeds));
  const note = seeds > 1 ? `mean ± sample standard deviation over ${seeds} seeds` : 'one seed (no spread)';
  return [line(cells[0]!), rule, ...cells.slice(1).map(line), '', `(${note}; reward and win rate from the rule-based judge; length in characters)`].join('\n');
}
