/**
 * Statistics over tokenized pairs for `poet data inspect`: token counts, truncation shares, the share of
 * response tokens POET does not score, and length histograms.
 */
import { pairResponseLens } from './batch.ts';
import { TRUNC_COMPLETION, TRUNC_PROMPT, TRUNC_RESPONSE } from './types.ts';
import type { TokenizedPair } from './types.ts';

export interface PairStats {
  pairs: number;
  tokens: number;
  promptTokens: number;
  responseTokens: number;
  /** Share of pairs touched by each truncation step. */
  truncatedPrompt: number;
  truncatedResponse: number;
  truncatedCompletion: number;
  /** Share of scored response tokens that POET leaves out: 1 - Σ 2k / Σ (chosen + rejected). */
  poetCutShare: number;
  meanK: number;
}

export function pairStats(pairs: readonly TokenizedPair[]): PairStats {
  let tokens = 0;
  let promptTokens = 0;
  let resp = 0;
  let kept = 0;
  let tp = 0;
  let tr = 0;
  let tc = 0;
  for (const p of pairs) {
    tokens += p.chosenIds.length + p.rejectedIds.length;
    promptTokens += p.chosenPromptLen + p.rejectedPromptLen;
    const r = pairResponseLens(p);
    resp += r.chosen + r.rejected;
    kept += 2 * Math.min(r.chosen, r.rejected);
    if (p.truncation & TRUNC_PROMPT) tp++;
    if (p.truncation & TRUNC_RESPONSE) tr++;
    if (p.truncation & TRUNC_COMPLETION) tc++;
  }
  const n = Math.max(pairs.length, 1);
  return {
    pairs: pairs.length,
    tokens,
    promptTokens,
    responseTokens: resp,
    truncatedPrompt: tp / n,
    truncatedResponse: tr / n,
    truncatedCompletion: tc / n,
    poetCutShare: resp > 0 ? 1 - kept / resp : 0,
    meanK: kept / 2 / n,
  };
}

/** Text histogram: up to `buckets` equal-width bins from the minimum to the maximum, one line per bin. */
export function histogram(values: readonly number[], buckets = 8, width = 40): string[] {
  if (values.length === 0) return ['  (no data)'];
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const size = Math.max(1, Math.ceil((max - min + 1) / buckets));
  const counts = new Array<number>(Math.ceil((max - min + 1) / size)).fill(0);
  for (const v of values) counts[Math.floor((v - min) / size)]!++;
  const top = Math.max(...counts);
  return counts.map((c, i) => {
    const lo = min + i * size;
    const label = `${lo}–${lo + size - 1}`.padStart(13);
    return `${label} | ${'#'.repeat(Math.round((c / top) * width)).padEnd(width)} ${c}`;
  });
}
