import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeSchedule, warmupStepsFor } from '../../src/train/schedule.ts';
import { Rng } from '../../src/util/rng.ts';

// Reference values computed by hand from transformers' get_cosine_schedule_with_warmup formula
// (lr_lambda) for T = 477, warmup_ratio 0.1 (the UltraFeedback configs of spec §4.1): W = ceil(47.7) = 48.
test('warmup steps follow TrainingArguments.get_warmup_steps', () => {
  assert.equal(warmupStepsFor(477, 0, 0.1), 48);
  assert.equal(warmupStepsFor(467, 0, 0.1), 47);
  assert.equal(warmupStepsFor(100, 7, 0.1), 7);
});

test('cosine schedule: first update at lr 0, peak after warmup, half way, zero at the end', () => {
  const lr = makeSchedule({ type: 'cosine', baseLr: 5e-7, totalSteps: 477, warmupRatio: 0.1 });
  assert.equal(lr(0), 0);
  assert.equal(lr(24), 5e-7 * 24 / 48);
  assert.equal(lr(48), 5e-7);
  // progress = (262.5 - 48) / 429 = 0.5 → 0.5·(1+cos(π/2)) = 0.5
  assert.ok(Math.abs(lr(48 + 429 / 2) - 2.5e-7) < 1e-18);
  assert.ok(Math.abs(lr(477)) < 1e-22);
  // t=100: 0.5*(1+cos(pi*52/429))
  assert.ok(Math.abs(lr(100) - 5e-7 * 0.5 * (1 + Math.cos((Math.PI * 52) / 429))) < 1e-20);
});

test('linear, constant and constant_with_warmup schedules', () => {
  const lin = makeSchedule({ type: 'linear', baseLr: 1, totalSteps: 10, warmupSteps: 2 });
  assert.deepEqual([0, 1, 2, 6, 10, 11].map(lin), [0, 0.5, 1, 0.5, 0, 0]);
  const c = makeSchedule({ type: 'constant', baseLr: 3, totalSteps: 10, warmupSteps: 2 });
  assert.deepEqual([0, 5].map(c), [3, 3]);
  const cw = makeSchedule({ type: 'constant_with_warmup', baseLr: 2, totalSteps: 10, warmupSteps: 4 });
  assert.deepEqual([0, 2, 4, 9].map(cw), [0, 1, 2, 2]);
});

test('Rng: same seed, same stream; state round-trips; permutation is a permutation', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const xs = Array.from({ length: 5 }, () => a.nextU32());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b.nextU32()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => new Rng(43).nextU32()));
  const saved = a.getState();
  const next = [a.next(), a.next()];
  const c = Rng.fromState(saved);
  assert.deepEqual([c.next(), c.next()], next);
  const p = new Rng(1).permutation(50);
  assert.deepEqual([...p].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  assert.notDeepEqual(p, Array.from({ length: 50 }, (_, i) => i));
});
