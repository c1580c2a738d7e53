/** Option validation, the registry's errors, token terms, and the fixed original bugs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertValidLossOptions,
  computePreferenceLoss,
  dpoLossOptions,
  EXO_PAIR_DEFAULT_EPSILON,
  getLossEntry,
  listLosses,
  simpoLossOptions,
  tokenTerm,
  tokenTermEnabled,
  validateLossOptions,
  type PairLogps,
} from '../../src/losses/index.ts';
import { PoetError, PoetMultiError } from '../../src/util/errors.ts';
import { assertClose } from './helpers.ts';

const b: PairLogps = {
  policyChosenSum: [-3, -5],
  policyRejectedSum: [-4, -6],
  referenceChosenSum: [-3.5, -5.5],
  referenceRejectedSum: [-3.9, -6.2],
  chosenCount: [2, 3],
  rejectedCount: [2, 4],
};

test('defaults are the original configs\' defaults and validate cleanly', () => {
  assert.deepEqual(validateLossOptions(dpoLossOptions()), { errors: [], warnings: [] });
  assert.deepEqual(validateLossOptions(simpoLossOptions()), { errors: [], warnings: [] });
  assert.equal(dpoLossOptions().beta, 0.1);
  assert.equal(simpoLossOptions().beta, 2.0);
  assert.equal(simpoLossOptions().gamma_beta_ratio, 0.25);
});

test('the registry holds the ten DPO types and two SimPO types, each with a citation', () => {
  const keys = listLosses().map((e) => `${e.trainer}/${e.lossType}`);
  assert.equal(keys.length, 12);
  for (const e of listLosses()) assert.match(e.citation, /arXiv:\d{4}\.\d{5}/, `${e.trainer}/${e.lossType}`);
  assert.equal(getLossEntry('dpo', 'ipo').averaged, true);
  assert.equal(getLossEntry('dpo', 'sigmoid').averaged, false);
  assert.equal(getLossEntry('simpo', 'hinge').averaged, true);
});

test('kto_pair, unknown loss types and robust with ε ≥ 0.5 are errors naming the field and value', () => {
  const kto = validateLossOptions(dpoLossOptions({ loss_type: 'kto_pair' }));
  assert.equal(kto.errors.length, 1);
  assert.match(kto.errors[0], /^loss_type: 'kto_pair' is not supported/);
  assert.match(validateLossOptions(dpoLossOptions({ loss_type: 'dpop' })).errors[0], /loss_type: expected one of sigmoid, robust.*found 'dpop'/);
  assert.match(validateLossOptions(simpoLossOptions({ loss_type: 'ipo' })).errors[0], /loss_type: expected one of sigmoid, hinge for SimPO, found 'ipo'/);
  assert.match(validateLossOptions(dpoLossOptions({ loss_type: 'robust', label_smoothing: 0.5 })).errors[0], /label_smoothing: robust DPO .* < 0.5, found 0.5/);
  assert.match(validateLossOptions(dpoLossOptions({ beta: 0 })).errors[0], /^beta: expected a number > 0, found 0/);
  assert.match(validateLossOptions(dpoLossOptions({ f_divergence_type: 'kl' })).errors[0], /f_divergence_type: expected one of reverse_kl, js_divergence, alpha_divergence, found 'kl'/);
  assert.match(
    validateLossOptions(dpoLossOptions({ f_divergence_type: 'alpha_divergence', f_alpha_divergence_coef: 0 })).errors[0],
    /f_alpha_divergence_coef: expected a non-zero number/,
  );
  assert.match(validateLossOptions(simpoLossOptions({ sft_weight: -1 })).errors[0], /sft_weight: expected a number ≥ 0, found -1/);
});

test('label smoothing with hinge / ipo / bco_pair (and SimPO hinge) is a warning, as in the original', () => {
  for (const t of ['hinge', 'ipo', 'bco_pair']) {
    const p = validateLossOptions(dpoLossOptions({ loss_type: t, label_smoothing: 0.1 }));
    assert.deepEqual(p.errors, []);
    assert.equal(p.warnings.length, 1);
    assert.match(p.warnings[0], new RegExp(`loss_type '${t}' does not support label smoothing`));
  }
  assert.equal(validateLossOptions(dpoLossOptions({ loss_type: 'sigmoid', label_smoothing: 0.1 })).warnings.length, 0);
  assert.match(validateLossOptions(simpoLossOptions({ loss_type: 'hinge', label_smoothing: 0.1 })).warnings[0], /hinge/);
  // options a loss type silently ignores
  const w = validateLossOptions(dpoLossOptions({ loss_type: 'aot', reference_free: true, f_divergence_type: 'js_divergence' })).warnings;
  assert.equal(w.length, 2);
});

test('assertValidLossOptions throws a PoetMultiError with every problem and returns warnings', () => {
  assert.throws(
    () => assertValidLossOptions(dpoLossOptions({ loss_type: 'kto_pair', beta: -1 }), 'configs/run.yaml'),
    (e: unknown) => e instanceof PoetMultiError && e.problems.length === 2 && /^configs\/run\.yaml: invalid dpo loss options/.test(e.message),
  );
  assert.equal(assertValidLossOptions(dpoLossOptions({ loss_type: 'ipo', label_smoothing: 0.2 })).length, 1);
});

test('computePreferenceLoss rejects invalid options and 0/0 averages with a PoetError', () => {
  assert.throws(() => computePreferenceLoss(b, dpoLossOptions({ loss_type: 'kto_pair' })), PoetError);
  assert.throws(() => computePreferenceLoss(b, simpoLossOptions({ loss_type: 'ipo' })), /loss_type: expected one of sigmoid, hinge/);
  const empty = { ...b, chosenCount: [2, 0] };
  assert.throws(
    () => computePreferenceLoss(empty, simpoLossOptions()),
    (e: unknown) => e instanceof PoetError && /pair 1 of the micro-batch has no scored tokens \(chosen 0, rejected 4\)/.test(e.message),
  );
  assert.throws(() => computePreferenceLoss(empty, dpoLossOptions({ loss_type: 'ipo' })), PoetError);
  // DPO sums need no division: an empty row just scores 0
  assert.doesNotThrow(() => computePreferenceLoss(empty, dpoLossOptions()));
});

test('exo_pair with label_smoothing 0 uses ε = 1e-3 for the computation without mutating the options', () => {
  const o = dpoLossOptions({ loss_type: 'exo_pair' });
  const r0 = computePreferenceLoss(b, o);
  assert.equal(o.label_smoothing, 0);
  const r1 = computePreferenceLoss(b, dpoLossOptions({ loss_type: 'exo_pair', label_smoothing: EXO_PAIR_DEFAULT_EPSILON }));
  assertClose(r0.losses, r1.losses, 'same as explicit 1e-3', 0);
  // the same options object used for sigmoid afterwards is still unsmoothed
  const sig = computePreferenceLoss(b, { ...o, loss_type: 'sigmoid' });
  const sig0 = computePreferenceLoss(b, dpoLossOptions());
  assertClose(sig.losses, sig0.losses, 'no leaked smoothing', 0);
});

test('token terms: RPO nll_loss (weight 1, pair losses × rpo_alpha) and SimPO sft_loss (× sft_weight)', () => {
  assert.equal(tokenTermEnabled(dpoLossOptions()), false);
  assert.equal(tokenTerm(dpoLossOptions(), -10, 5), null);
  assert.equal(tokenTerm(simpoLossOptions({ sft_weight: 0 }), -10, 5), null);

  const rpo = dpoLossOptions({ rpo_alpha: 0.5 });
  const t = tokenTerm(rpo, -10, 4)!;
  assert.deepEqual([t.metric, t.ce, t.weight, t.value, t.dTokenLogp], ['nll_loss', 2.5, 1, 2.5, -0.25]);
  assert.deepEqual(t.metrics, { nll_loss: 2.5 });
  const r = computePreferenceLoss(b, rpo);
  const plain = computePreferenceLoss(b, dpoLossOptions());
  assert.equal(r.weight, 0.5);
  assertClose(r.loss, 0.5 * plain.loss, 'pair part scaled by rpo_alpha', 1e-15);
  assertClose(r.gradPolicyChosenSum, Array.from(plain.gradPolicyChosenSum, (g) => 0.5 * g), 'scaled gradient', 1e-15);
  assertClose(r.losses, plain.losses, 'per-pair losses stay unscaled', 0);

  const s = tokenTerm(simpoLossOptions({ sft_weight: 0.3 }), -10, 4)!;
  assert.deepEqual([s.metric, s.ce, s.weight], ['sft_loss', 2.5, 0.3]);
  assertClose([s.value, s.dTokenLogp], [0.75, -0.075], 'weighted', 1e-15);
  assert.throws(() => tokenTerm(rpo, 0, 0), (e: unknown) => e instanceof PoetError && /nll_loss: the micro-batch has no labelled/.test(e.message));
});
