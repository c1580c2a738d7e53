import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { winRateMetrics } from '../../src/eval/alpaca/winrate.ts';
import { preferenceFromText, preferenceFromTopLogprobs } from '../../src/eval/alpaca/parse_verdict.ts';

const close = (a: number, e: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - e) <= tol, `${what}: got ${a}, expected ${e}`);

test('win-rate metrics on a hand-computed case', () => {
  // preferences - 1 = [0, 1, 1, 0.5, 0]: mean 0.5; sample var = (4·0.25 + 0)/4 = 0.25 → sem = 0.5/√5
  const m = winRateMetrics([1, 2, 2, 1.5, 1]);
  close(m.win_rate, 50, 1e-12, 'win_rate');
  close(m.standard_error, (100 * 0.5) / Math.sqrt(5), 1e-12, 'standard_error');
  assert.equal(m.n_wins, 2);
  assert.equal(m.n_wins_base, 2);
  assert.equal(m.n_draws, 1);
  assert.equal(m.n_total, 5);
  close(m.discrete_win_rate, 50, 1e-12, 'discrete');
});

test('NaN/null preferences are dropped, 0 counts as a draw, discrete rounds', () => {
  // kept: 1.9, 1.2, 1.5 (from 0) → 0.9, 0.2, 0.5 → mean 0.5333; discrete: 2, 1, draw → 1, 0, 0.5 → 0.5
  const m = winRateMetrics([1.9, null, 1.2, NaN, 0]);
  close(m.win_rate, (100 * 1.6) / 3, 1e-12, 'win_rate');
  assert.equal(m.n_total, 3);
  assert.equal(m.n_draws, 1);
  close(m.discrete_win_rate, 50, 1e-12, 'discrete');
});

const fixture = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/eval/winrate.json', import.meta.url)), 'utf8')) as {
  cases: { preferences: (number | null)[]; expected: Record<string, number> }[];
};
for (const [i, c] of fixture.cases.entries()) {
  test(`win-rate metrics match the scipy reference (case ${i})`, () => {
    const m = winRateMetrics(c.preferences) as unknown as Record<string, number>;
    for (const [k, v] of Object.entries(c.expected)) close(m[k]!, v, 1e-9, k);
  });
}

test('weighted verdict: p(m) from the top log-probs, preference = 2 - p(m)', () => {
  const lp = (p: number) => Math.log(p);
  close(preferenceFromTopLogprobs([{ token: 'm', logprob: lp(0.6) }, { token: 'M', logprob: lp(0.2) }, { token: 'x', logprob: lp(0.2) }]), 2 - 0.75, 1e-12, 'both');
  assert.equal(preferenceFromTopLogprobs([{ token: 'M', logprob: -3 }]), 2); // m missing: p(m) = 0
  assert.equal(preferenceFromTopLogprobs([{ token: 'm', logprob: -3 }]), 1); // M missing: p(m) = 1
  assert.ok(Number.isNaN(preferenceFromTopLogprobs([{ token: ' m', logprob: -0.1 }, { token: 'The', logprob: -1 }])));
});

test('unweighted verdict parses the one-token answer', () => {
  assert.equal(preferenceFromText('m'), 1);
  assert.equal(preferenceFromText(' M\n'), 2);
  assert.ok(Number.isNaN(preferenceFromText('Output (a)')));
});
