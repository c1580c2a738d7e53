/**
 * Per-document metrics and their aggregation, as lm-eval 0.4.7 computes them:
 * - multiple choice: acc = [argmax_i ll_i == gold], acc_norm = [argmax_i ll_i / len(choice_i) == gold] with
 *   len the choice's length in characters (Python `len`, code points; the leading delimiter not counted);
 *   np.argmax takes the first maximum;
 * - TruthfulQA mc2: the probability mass of the true answers, normalised over all answers;
 * - GSM8K: regex answer extraction (strict "#### n", flexible "last number") and exact_match after
 *   removing the ignored patterns and lower-casing;
 * - aggregation: mean, stderr = sample std (ddof 1) / √n; groups weighted by size with the pooled stderr.
 */
import type { LoglikelihoodResult } from './types.ts';

/** Length in code points, as Python's len(str). */
export function charLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function argmax(xs: number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i;
  return best;
}

export function multipleChoiceScores(
  results: LoglikelihoodResult[],
  choices: string[],
  gold: number,
  withNorm: boolean,
): Record<string, number> {
  const lls = results.map((r) => r.logprob);
  const out: Record<string, number> = { acc: argmax(lls) === gold ? 1 : 0 };
  if (withNorm) out.acc_norm = argmax(lls.map((ll, i) => ll / charLength(choices[i]!))) === gold ? 1 : 0;
  return out;
}

/** TruthfulQA mc2: labels are 1…1 0…0; the true answers' share of exp(ll). */
export function mc2Score(lls: number[], labels: number[]): number {
  const split = labels.indexOf(0);
  // Normalise by the largest log-likelihood first; the ratio is unchanged and exp() cannot underflow to 0/0.
  const m = Math.max(...lls);
  const p = lls.map((ll) => Math.exp(ll - m));
  const total = p.reduce((a, b) => a + b, 0);
  return p.slice(0, split).reduce((a, b) => a + b, 0) / total;
}

/** lm-eval RegexFilter + take_first: the selected match, or "[invalid]" when nothing matches. */
export function regexExtract(text: string, pattern: RegExp, groupSelect: number): string {
  const flags = pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`;
  const matches = [...text.matchAll(new RegExp(pattern.source, flags))];
  if (matches.length === 0) return '[invalid]';
  const m = matches[groupSelect < 0 ? matches.length + groupSelect : groupSelect];
  if (!m) return '[invalid]';
  // Python findall: one group → that group; several groups → a tuple, of which lm-eval takes the first non-empty.
  const groups = m.length > 1 ? m.slice(1) : [m[0]];
  const picked = groups.find((g) => g !== undefined && g !== '');
  return picked === undefined ? '[invalid]' : picked.trim();
}

export const GSM8K_STRICT = /#### (\-?[0-9\.\,]+)/;
export const GSM8K_FLEXIBLE = /(-?[$0-9.,]{2,})|(-?[0-9]+)/;

/**
 * gsm8k's exact_match: regexes_to_ignore [",", "\$", "(?s).*#### ", "\.$"] removed from prediction and
 * reference, then ignore_case. Python's `$` also matches before a final newline, hence the lookahead.
 */
export function gsm8kExactMatch(prediction: string, reference: string): number {
  const ignore = [/,/g, /\$/g, /[\s\S]*#### /g, /\.(?=\n?$)/g];
  const clean = (s: string) => ignore.reduce((acc, re) => acc.replace(re, ''), s).toLowerCase();
  return clean(prediction) === clean(reference) ? 1 : 0;
}

/** Mean and lm-eval's stderr of the mean (sample std with ddof 1 over √n; NaN for n < 2). */
export function meanStderr(values: number[]): { mean: number; stderr: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, stderr: NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, stderr: NaN };
  const variance = values.reduce((a, b) => a + (b - mean) * (b - mean), 0) / (n - 1);
  return { mean, stderr: Math.sqrt(variance) / Math.sqrt(n) };
}

/** lm-eval's pooled_sample_stderr for a size-weighted group of subtasks. */
export function pooledStderr(stderrs: number[], sizes: number[]): number {
  const total = sizes.reduce((a, b) => a + b, 0);
  let num = 0;
  for (let i = 0; i < sizes.length; i++) num += (sizes[i]! - 1) * stderrs[i]! ** 2 * sizes[i]!;
  const pooledVar = num / (total - sizes.length);
  return Math.sqrt(pooledVar / total);
}
