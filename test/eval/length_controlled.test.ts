import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultCs, isExtremeChange, lengthControlledWinRate } from '../../src/eval/alpaca/length_controlled.ts';
import { fitL1Logistic } from '../../src/eval/alpaca/l1_logistic.ts';

// Reference: scripts/make_eval_fixtures.py (sklearn liblinear L1 LogisticRegression + the CV loop of
// alpaca_eval's fit_LogisticRegressionCV).
const fixture = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/eval/glm.json', import.meta.url)), 'utf8'),
) as {
  cases: {
    name: string;
    with_difficulty: boolean;
    len_1: number[];
    len_2: number[];
    instruction_difficulty: number[];
    preference: (number | null)[];
    gamed: { std_delta_len: number; instruction_difficulty: number; preference: number }[];
    columns: string[];
    std_delta_len: number[];
    Cs: number[];
    poet_folds: { cv_scores: number[][]; best_index: number; coef: number[]; lc: number };
    sklearn_groupkfold: { best_index: number; coef: number[]; lc: number };
    fixed_C: { C: number; coef: number[] }[];
  }[];
};

function close(actual: number, expected: number, tol: number, what: string) {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: got ${actual}, expected ${expected} (tol ${tol})`);
}

test('the C grid is sklearn LogisticRegressionCV default logspace(-4, 4, 10)', () => {
  const Cs = defaultCs();
  fixture.cases[0]!.Cs.forEach((c, i) => close(Cs[i]!, c, c * 1e-12, `C[${i}]`));
});

for (const c of fixture.cases) {
  const input = {
    lenBaseline: c.len_1,
    lenModel: c.len_2,
    preference: c.preference,
    instructionDifficulty: c.with_difficulty ? c.instruction_difficulty : undefined,
    gamed: c.gamed,
  };

  test(`L1 logistic solver matches sklearn liblinear at fixed C (${c.name})`, () => {
    // Rebuild alpaca_eval's training rows: gamed rows first, then judged pairs (0 = draw -> 0.5).
    const X: number[][] = [];
    const p: number[] = [];
    const w: number[] = [];
    const feat = (s: number, d: number, ng: number) => (c.with_difficulty ? [Math.tanh(s), d, ng] : [Math.tanh(s), ng]);
    for (const g of c.gamed) {
      X.push(feat(g.std_delta_len, g.instruction_difficulty, 0));
      p.push(g.preference);
      w.push(0.1);
    }
    c.preference.forEach((pr, i) => {
      if (pr === null) return;
      X.push(feat(c.std_delta_len[i]!, c.instruction_difficulty[i]!, 1));
      p.push((pr === 0 ? 1.5 : pr) - 1);
      w.push(1);
    });
    const rows = { X: [] as number[][], y: [] as number[], weight: [] as number[] };
    X.forEach((x, i) => {
      rows.X.push(x, x);
      rows.y.push(1, 0);
      rows.weight.push(p[i]! * w[i]!, (1 - p[i]!) * w[i]!);
    });
    for (const f of c.fixed_C) {
      const coef = fitL1Logistic(rows, f.C);
      f.coef.forEach((e, j) => close(coef[j]!, e, 1e-6, `C=${f.C} coef[${j}]`));
    }
  });

  test(`length-controlled win rate matches the sklearn reference (${c.name})`, () => {
    const r = lengthControlledWinRate(input);
    assert.ok(!('skipped' in r), 'fit was skipped');
    if ('skipped' in r) return;
    assert.deepEqual(r.columns, c.columns);
    assert.equal(r.metric, c.with_difficulty ? 'length_controlled_winrate' : 'length_controlled_winrate_nodiff');
    c.std_delta_len.forEach((s, i) => close(r.stdDeltaLen[i]!, s, 1e-12, `std_delta_len[${i}]`));
    c.poet_folds.cv_scores.forEach((row, k) => row.forEach((s, j) => close(r.cvScores[k]![j]!, s, 1e-7, `cv[${k}][${j}]`)));
    assert.equal(r.bestC, c.Cs[c.poet_folds.best_index]);
    c.poet_folds.coef.forEach((e, j) => close(r.weights[j]!, e, 1e-6, `weight ${c.columns[j]}`));
    close(r.winrate, c.poet_folds.lc, 1e-6, 'LC');
    // With sklearn's own GroupKFold permutation the chosen C may differ; when it does not, LC is identical.
    if (c.sklearn_groupkfold.best_index === c.poet_folds.best_index) close(r.winrate, c.sklearn_groupkfold.lc, 1e-6, 'LC (sklearn folds)');
  });
}

test('fewer judged pairs than folds skips the fit with a reason', () => {
  const r = lengthControlledWinRate({ lenBaseline: [1, 2, 3], lenModel: [3, 2, 1], preference: [1, 2, 1.5] });
  assert.ok('skipped' in r);
  assert.match((r as { skipped: string }).skipped, /at least 5 judged pairs/);
});

test('extreme-change warning follows alpaca_eval (abs 10, rel 4)', () => {
  assert.equal(isExtremeChange(20, 9.9), true); // below min(15, 10)
  assert.equal(isExtremeChange(20, 10.1), false);
  assert.equal(isExtremeChange(50, 62.4), false); // max(62.5, 60)
  assert.equal(isExtremeChange(50, 62.6), true);
});
