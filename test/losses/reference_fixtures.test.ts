/**
 * poet's losses against PyTorch autograd (scripts/make_loss_fixtures.py): per-pair losses, batch
 * loss, metrics, ∂loss/∂sums, and the per-token gradient the trainer assembles from them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  computePreferenceLoss,
  createLossState,
  tokenMeanNll,
  tokenTerm,
  type PairLogps,
  type PreferenceLossOptions,
  type PreferenceLossResult,
  type TokenTerm,
} from '../../src/losses/index.ts';
import { assertClose, loadFixture } from './helpers.ts';

interface Case {
  name: string;
  options: PreferenceLossOptions;
  inputs: Record<string, number[]> & { nll_sum?: number; nll_count?: number };
  expected: {
    losses: number[];
    loss: number;
    metrics: Record<string, number>;
    grad_policy_chosen_sum: number[];
    grad_policy_rejected_sum: number[];
    running?: { mean: number; var: number; count: number };
  };
  tokens?: { logps: number[][]; score_mask: number[][]; label_mask: number[][]; grad_logps: number[][] };
}

function batchOf(c: Case): PairLogps {
  const i = c.inputs;
  return {
    // Float32Array on purpose for one input: the loss must accept it and compute in float64
    // (values are 6-decimal sums, which float32 would round, so only counts use it)
    policyChosenSum: i.policy_chosen_sum,
    policyRejectedSum: Float64Array.from(i.policy_rejected_sum),
    chosenCount: Float32Array.from(i.chosen_count),
    rejectedCount: i.rejected_count,
    referenceChosenSum: i.reference_chosen_sum,
    referenceRejectedSum: i.reference_rejected_sum,
  };
}

/** Σ_t logps·mask per row, as the trainer's gather would produce. */
function rowSums(lp: number[][], mask: number[][]): number[] {
  return lp.map((r, i) => r.reduce((s, v, t) => s + v * mask[i][t], 0));
}

/**
 * The combination rule of docs/training.md: ∂total/∂lp[row, t] = score_mask·grad(sum of that row)
 * + (chosen rows only) label_mask·term.dTokenLogp.
 */
function perTokenGrad(c: Case, r: PreferenceLossResult, term: TokenTerm | null): number[] {
  const tk = c.tokens!;
  const B = r.losses.length;
  const out: number[] = [];
  tk.logps.forEach((row, i) =>
    row.forEach((_, t) => {
      const gSum = i < B ? r.gradPolicyChosenSum[i] : r.gradPolicyRejectedSum[i - B];
      let g = tk.score_mask[i][t] * gSum;
      if (term && i < B) g += tk.label_mask[i][t] * term.dTokenLogp;
      out.push(g);
    }),
  );
  return out;
}

function checkCase(c: Case, result: PreferenceLossResult): void {
  const ex = c.expected;
  const term = c.inputs.nll_sum !== undefined ? tokenTerm(c.options, c.inputs.nll_sum, c.inputs.nll_count!) : null;
  assert.equal(term !== null, c.inputs.nll_sum !== undefined, `${c.name}: token term presence`);
  assertClose(result.losses, ex.losses, `${c.name}: losses`);
  assertClose(result.loss + (term?.value ?? 0), ex.loss, `${c.name}: batch loss`);
  assertClose(result.gradPolicyChosenSum, ex.grad_policy_chosen_sum, `${c.name}: ∂loss/∂policy chosen sums`);
  assertClose(result.gradPolicyRejectedSum, ex.grad_policy_rejected_sum, `${c.name}: ∂loss/∂policy rejected sums`);
  const metrics = { ...result.metrics, ...(term?.metrics ?? {}) };
  assert.deepEqual(Object.keys(metrics).sort(), Object.keys(ex.metrics).sort(), `${c.name}: metric names`);
  for (const [k, v] of Object.entries(ex.metrics)) assertClose(metrics[k], v, `${c.name}: ${k}`);
  if (c.tokens) {
    const tk = c.tokens;
    const B = result.losses.length;
    const sums = rowSums(tk.logps, tk.score_mask);
    assertClose(sums.slice(0, B), c.inputs.policy_chosen_sum, `${c.name}: fixture sums`, 1e-12);
    assertClose(perTokenGrad(c, result, term), tk.grad_logps.flat(), `${c.name}: ∂total/∂token log-probs`);
  }
}

test('DPO: every loss type, f-divergence, label smoothing, reference_free, POET and RPO match PyTorch', () => {
  const { cases } = loadFixture<Case>('dpo.json');
  assert.ok(cases.length >= 100);
  const seen = new Set<string>();
  for (const c of cases) {
    seen.add(`${c.options.loss_type}`);
    checkCase(c, computePreferenceLoss(batchOf(c), c.options));
  }
  assert.deepEqual([...seen].sort(), ['aot', 'aot_pair', 'exo_pair', 'hinge', 'ipo', 'nca_pair', 'robust', 'sigmoid', 'sppo_hard']);
});

test('DPO bco_pair: losses, gradients and the running reward mean over a sequence of calls match PyTorch', () => {
  const { cases } = loadFixture<{ name: string; calls: Case[] }>('bco_pair.json');
  for (const seq of cases) {
    const state = createLossState();
    for (const c of seq.calls) {
      checkCase(c, computePreferenceLoss(batchOf(c), c.options, state));
      const r = c.expected.running!;
      assertClose([state.running.mean, state.running.var, state.running.count], [r.mean, r.var, r.count], `${c.name}: running moments`);
    }
  }
});

test('SimPO: sigmoid and hinge, γ/β, label smoothing, POET and sft_weight match PyTorch', () => {
  const { cases } = loadFixture<Case>('simpo.json');
  assert.equal(cases.length, 32);
  for (const c of cases) checkCase(c, computePreferenceLoss(batchOf(c), c.options));
});

test('SFT token-mean NLL and its per-token gradient match PyTorch', () => {
  const { cases } = loadFixture<{ name: string; logps: number[][]; label_mask: number[][]; loss: number; grad_logps: number[][] }>('sft.json');
  for (const c of cases) {
    const lp = c.logps.flat();
    const m = c.label_mask.flat();
    const sum = lp.reduce((s, v, i) => s + v * m[i], 0);
    const count = m.reduce((s, v) => s + v, 0);
    const nll = tokenMeanNll(sum, count);
    assertClose(nll.value, c.loss, `${c.name}: loss`);
    assertClose(m.map((v) => v * nll.dTokenLogp), c.grad_logps.flat(), `${c.name}: gradient`);
  }
});
