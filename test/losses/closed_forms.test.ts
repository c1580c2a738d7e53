/** Closed-form values of the losses at points where the answer is known by hand. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computePreferenceLoss, dpoLossOptions, simpoLossOptions, type PairLogps } from '../../src/losses/index.ts';
import { logSigmoid } from '../../src/losses/math.ts';
import { assertClose } from './helpers.ts';

function pairs(pw: number[], pl: number[], rw = pw, rl = pl, cw = pw.map(() => 4), cl = pl.map(() => 3)): PairLogps {
  return { policyChosenSum: pw, policyRejectedSum: pl, referenceChosenSum: rw, referenceRejectedSum: rl, chosenCount: cw, rejectedCount: cl };
}

test('DPO sigmoid with policy == reference: loss ln 2, zero rewards and margins, accuracy 0 (strict >)', () => {
  for (const beta of [0.01, 0.1, 2]) {
    const b = pairs([-12.5, -3, -40], [-7, -19.25, -40]);
    const r = computePreferenceLoss(b, dpoLossOptions({ beta }));
    assertClose(r.loss, Math.LN2, `beta ${beta} loss`, 1e-15);
    assertClose(r.losses, [Math.LN2, Math.LN2, Math.LN2], 'per-pair', 1e-15);
    assert.equal(r.metrics['rewards/margins'], 0);
    assert.equal(r.metrics['rewards/chosen'], 0);
    assert.equal(r.metrics['rewards/accuracies'], 0);
    // ∂/∂π_w of −log σ(β z) at z = 0 is −β/2, averaged over B = 3 pairs
    assertClose(r.gradPolicyChosenSum, [-beta / 6, -beta / 6, -beta / 6], 'grad chosen', 1e-15);
    assertClose(r.gradPolicyRejectedSum, [beta / 6, beta / 6, beta / 6], 'grad rejected', 1e-15);
    assertClose(r.metrics['logps/chosen'], (-12.5 - 3 - 40) / 3, 'logps/chosen are sums', 1e-15);
  }
});

test('DPO: label smoothing ε keeps ln 2 at z = 0; robust gives ln 2 too; ipo at z = 0 is 1/(4β²)', () => {
  const b = pairs([-5], [-6]);
  for (const eps of [0.1, 0.3]) {
    assertClose(computePreferenceLoss(b, dpoLossOptions({ label_smoothing: eps })).loss, Math.LN2, 'cDPO', 1e-15);
    // robust: [−(1−ε) + ε]·(−ln 2)/(1−2ε) = ln 2
    assertClose(computePreferenceLoss(b, dpoLossOptions({ loss_type: 'robust', label_smoothing: eps })).loss, Math.LN2, 'robust', 1e-15);
  }
  const beta = 0.25;
  assertClose(computePreferenceLoss(b, dpoLossOptions({ loss_type: 'ipo', beta })).loss, 1 / (4 * beta * beta), 'ipo', 1e-15);
  assertClose(computePreferenceLoss(b, dpoLossOptions({ loss_type: 'hinge', beta })).loss, 1, 'hinge', 1e-15);
  // sppo_hard with π = ρ: (0 − 1/(2β))² + (0 + 1/(2β))²
  assertClose(computePreferenceLoss(b, dpoLossOptions({ loss_type: 'sppo_hard', beta })).loss, 2 / (4 * beta * beta), 'sppo', 1e-15);
  // nca_pair with π = ρ: −log σ(0) − ½ log σ(0) − ½ log σ(0) = 2 ln 2
  assertClose(computePreferenceLoss(b, dpoLossOptions({ loss_type: 'nca_pair' })).loss, 2 * Math.LN2, 'nca', 1e-15);
  // exo_pair at z = 0, ε = 1e-3 (the default it substitutes): ½(−ln2 − ln(1−ε)) + ½(−ln2 − ln ε)
  const e = 1e-3;
  const exo = 0.5 * (-Math.LN2 - Math.log(1 - e)) + 0.5 * (-Math.LN2 - Math.log(e));
  assertClose(computePreferenceLoss(b, dpoLossOptions({ loss_type: 'exo_pair' })).loss, exo, 'exo', 1e-15);
});

test('DPO ipo scores by token average, for policy and reference alike (spec §1.8)', () => {
  const beta = 0.5;
  const b = pairs([-8], [-9], [-6], [-9], [4], [3]);
  const z = (-8 / 4 - -9 / 3) - (-6 / 4 - -9 / 3);
  const r = computePreferenceLoss(b, dpoLossOptions({ loss_type: 'ipo', beta }));
  assertClose(r.loss, (z - 1 / (2 * beta)) ** 2, 'ipo loss', 1e-15);
  assertClose(r.metrics['logps/chosen'], -2, 'logps/chosen is the average', 1e-15);
  assertClose(r.metrics['rewards/chosen'], beta * (-2 - -1.5), 'reward on averages', 1e-15);
  assertClose(r.gradPolicyChosenSum, [(2 * (z - 1 / (2 * beta))) / 4], 'grad through /count', 1e-15);
});

test('DPO reference_free drops ρ from the loss but the rewards still subtract it', () => {
  const b = pairs([-10], [-12], [-11], [-11]);
  const beta = 0.1;
  const r = computePreferenceLoss(b, dpoLossOptions({ reference_free: true, beta }));
  assertClose(r.loss, -logSigmoid(beta * 2), 'loss uses π only', 1e-15);
  assertClose(r.metrics['rewards/chosen'], beta * 1, 'reward π_w − ρ_w', 1e-15);
  assertClose(r.metrics['rewards/rejected'], beta * -1, 'reward π_l − ρ_l', 1e-15);
  assert.equal(r.metrics['rewards/accuracies'], 1);
});

test('SimPO sigmoid with equal average log-probs is −log σ(−γ), γ = β·gamma_beta_ratio', () => {
  for (const [beta, gbr] of [[2, 0.25], [10, 0.5], [2.5, 0]]) {
    // equal averages from different sums and counts: −6/3 = −8/4
    const b: PairLogps = { policyChosenSum: [-6, -1], policyRejectedSum: [-8, -1], chosenCount: [3, 5], rejectedCount: [4, 5] };
    const r = computePreferenceLoss(b, simpoLossOptions({ beta, gamma_beta_ratio: gbr }));
    assertClose(r.loss, -logSigmoid(-beta * gbr), `β=${beta} γ/β=${gbr}`, 1e-14);
    assertClose(r.metrics['logps/chosen'], (-2 - 0.2) / 2, 'logps are averages', 1e-15);
    assertClose(r.metrics['rewards/chosen'], beta * -1.1, 'SimPO reward β·π', 1e-15);
    assert.equal(r.metrics['rewards/margins'], 0);
  }
});

test('SimPO hinge: relu(1 − β(Δπ − γ/β)), zero gradient beyond the margin', () => {
  const b: PairLogps = { policyChosenSum: [-2, -1], policyRejectedSum: [-4, -9], chosenCount: [2, 1], rejectedCount: [2, 1] };
  const r = computePreferenceLoss(b, simpoLossOptions({ loss_type: 'hinge', beta: 2, gamma_beta_ratio: 0.25 }));
  // pair 0: Δπ = −1 − (−2) = 1 → 1 − 2·0.75 = −0.5 → 0; pair 1: Δπ = 8 → 0
  assertClose(r.losses, [0, 0], 'hinge losses', 0);
  assertClose(r.gradPolicyChosenSum, [0, 0], 'no gradient', 0);
  const r2 = computePreferenceLoss({ ...b, policyChosenSum: [-2.5, -1] }, simpoLossOptions({ loss_type: 'hinge', beta: 2, gamma_beta_ratio: 0.25 }));
  // pair 0: Δπ = −1.25 + 2 = 0.75 → 1 − 2·0.5 = 0 → exactly at the kink: relu'(0) = 0 as torch
  assertClose(r2.losses[0], 0, 'kink', 0);
  assert.equal(r2.gradPolicyChosenSum[0], 0);
});

test('rewards/accuracies counts strictly greater chosen rewards only', () => {
  const b = pairs([-1, -2, -3, -4], [-2, -2, -1, -4], [0, 0, 0, 0], [0, 0, 0, 0]);
  const r = computePreferenceLoss(b, dpoLossOptions());
  assert.equal(r.metrics['rewards/accuracies'], 0.25); // only pair 0; ties (pairs 1, 3) do not count
});
