/**
 * Turning a judge's answer into a preference (spec §6.2, alpaca_eval `logprob_parser` with numerator "m" and
 * denominator {"m", "M"}, `is_binarize: false`):
 *   p(m) = exp(lp_m − logsumexp(lp_m, lp_M)) over the first token's top log-probs; a missing token counts
 *   as −∞, both missing gives NaN; preference = 2 − p(m) ∈ [1, 2] (1 = output_1, shown as "m", wins).
 * Tokens are compared exactly (no trimming), as alpaca_eval does.
 */

export interface TopLogprob {
  token: string;
  logprob: number;
}

function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/** Weighted preference from the first generated token's top log-probs. */
export function preferenceFromTopLogprobs(top: TopLogprob[]): number {
  let lpM1 = -Infinity; // "m"
  let lpM2 = -Infinity; // "M"
  for (const t of top) {
    // A later duplicate overrides an earlier one, as alpaca_eval's dict comprehension does (top-k tokens are unique).
    if (t.token === 'm') lpM1 = t.logprob;
    else if (t.token === 'M') lpM2 = t.logprob;
  }
  const denom = logAddExp(lpM1, lpM2);
  if (denom === -Infinity) return NaN;
  const pm = Math.exp(lpM1 - denom);
  return 2 - pm;
}

/** Unweighted preference from the answer text: "m" → 1, "M" → 2, anything else NaN. */
export function preferenceFromText(text: string): number {
  const t = text.trim();
  if (t === 'm') return 1;
  if (t === 'M') return 2;
  return NaN;
}
