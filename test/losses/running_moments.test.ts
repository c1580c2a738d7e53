/** RunningMoments (TRL utils) and the bco_pair reward baseline δ it provides. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computePreferenceLoss, createLossState, dpoLossOptions, RunningMoments, type PairLogps } from '../../src/losses/index.ts';
import { logSigmoid } from '../../src/losses/math.ts';
import { assertClose } from './helpers.ts';

test('RunningMoments starts at TRL state and equals the pooled mean / population variance of the stream', () => {
  const r = new RunningMoments();
  assert.deepEqual(r.toJSON(), { mean: 0, var: 1, count: 1e-24 });
  const batches = [[1, 2, 3], [10], [-4, 0.5], [7, 7, 7, 8]];
  const seen: number[] = [];
  for (const b of batches) {
    r.update(b);
    seen.push(...b);
    const m = seen.reduce((s, v) => s + v, 0) / seen.length;
    const v = seen.reduce((s, x) => s + (x - m) ** 2, 0) / seen.length;
    // the initial var·count = 1e-24 contributes nothing visible
    assertClose([r.mean, r.var, r.count], [m, v, seen.length], `after ${seen.length} values`, 1e-12);
  }
  const restored = RunningMoments.from(JSON.parse(JSON.stringify(r)));
  assert.deepEqual(restored.toJSON(), r.toJSON());
});

test('bco_pair: δ is the running mean of the per-call batch-mean rewards (one count per call, as TRL)', () => {
  const beta = 0.5;
  const state = createLossState();
  const calls: PairLogps[] = [
    { policyChosenSum: [-3, -5], policyRejectedSum: [-4, -4], referenceChosenSum: [-4, -5], referenceRejectedSum: [-3, -6], chosenCount: [1, 1], rejectedCount: [1, 1] },
    { policyChosenSum: [-1], policyRejectedSum: [-9], referenceChosenSum: [-2], referenceRejectedSum: [-7], chosenCount: [1], rejectedCount: [1] },
    { policyChosenSum: [-6, -2, -8], policyRejectedSum: [-6, -1, -9], referenceChosenSum: [-6, -3, -8], referenceRejectedSum: [-7, -1, -8], chosenCount: [1, 1, 1], rejectedCount: [1, 1, 1] },
  ];
  const batchMeans: number[] = [];
  for (const [k, b] of calls.entries()) {
    const B = b.policyChosenSum.length;
    const a = Array.from({ length: B }, (_, i) => b.policyChosenSum[i] - b.referenceChosenSum![i]);
    const c = Array.from({ length: B }, (_, i) => b.policyRejectedSum[i] - b.referenceRejectedSum![i]);
    batchMeans.push((beta * (a.reduce((s, v) => s + v, 0) + c.reduce((s, v) => s + v, 0))) / (2 * B));
    const delta = batchMeans.reduce((s, v) => s + v, 0) / batchMeans.length;
    const r = computePreferenceLoss(b, dpoLossOptions({ loss_type: 'bco_pair', beta }), state);
    assertClose(state.running.mean, delta, `call ${k}: δ`, 1e-12);
    assert.equal(state.running.count, 1e-24 + k + 1);
    const expected = a.map((ai, i) => -logSigmoid(beta * ai - delta) - logSigmoid(-(beta * c[i] - delta)));
    assertClose(r.losses, expected, `call ${k}: losses`, 1e-12);
  }
});

test('bco_pair without a LossState is a programming error', () => {
  const b: PairLogps = { policyChosenSum: [-1], policyRejectedSum: [-2], referenceChosenSum: [-1], referenceRejectedSum: [-2], chosenCount: [1], rejectedCount: [1] };
  assert.throws(() => computePreferenceLoss(b, dpoLossOptions({ loss_type: 'bco_pair' })), /needs a LossState/);
});
