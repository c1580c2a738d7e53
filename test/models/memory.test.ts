/**
 * Training-loop behaviour of the engine: 100 steps (forward, backward, AdamW) allocate no new activation
 * buffers after the first pass over the distinct sequence lengths, and the loss goes down.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getJsBackend } from '../../src/backend/index.ts';
import { createModel, IGNORE_INDEX } from '../../src/models/index.ts';
import { tinyConfig, tinyWeights } from './_tiny.ts';

describe('memory plan and training steps', () => {
  for (const checkpointing of [false, true]) {
    it(`100 steps with varying sequence lengths: pool stops growing, nothing leaks${checkpointing ? ' (checkpointing)' : ''}`, () => {
      const cfg = tinyConfig();
      const be = getJsBackend();
      const model = createModel(cfg, tinyWeights(cfg), be);
      model.gradientCheckpointing = checkpointing;
      const B = 2;
      const lengths = [12, 9, 11, 10]; // POET cuts sequences to different lengths each step
      const adam = new Map([...model.parameters].map(([n, p]) => [n, { m: new Float32Array(p.size), v: new Float32Array(p.size) }]));
      let afterWarmup = { buffers: 0, bytes: 0 };
      let firstLoss = 0;
      let lastLoss = 0;
      for (let step = 0; step < 100; step++) {
        const T = lengths[step % lengths.length];
        const ids = new Int32Array(B * T);
        const targets = new Int32Array(B * T);
        for (let i = 0; i < B * T; i++) {
          ids[i] = 3 + ((i * 7 + Math.floor(i / T)) % 40);
          targets[i] = i % T === T - 1 ? IGNORE_INDEX : 3 + (((i + 1) * 7 + Math.floor(i / T)) % 40);
        }
        model.zeroGrad();
        const r = model.forwardLogprobs(ids, targets, B, T);
        let count = 0;
        let loss = 0;
        for (let i = 0; i < B * T; i++) if (targets[i] !== IGNORE_INDEX) { count++; loss -= r.logps[i]; }
        loss /= count;
        if (step < lengths.length) firstLoss += loss / lengths.length;
        if (step >= 100 - lengths.length) lastLoss += loss / lengths.length;
        r.backward(Float32Array.from(targets, (t) => (t === IGNORE_INDEX ? 0 : -1 / count)));
        for (const [n, p] of model.parameters) {
          const s = adam.get(n)!;
          be.adamw({ param: p.data, grad: p.grad!, m: s.m, v: s.v, len: p.size, lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, step: step + 1, gradScale: 1 });
        }
        const st = model.pool.stats();
        assert.equal(st.inUse, 0, `step ${step}: ${st.inUse} pool buffers not returned`);
        if (step === lengths.length - 1) afterWarmup = st;
        if (step >= lengths.length) {
          assert.equal(st.buffers, afterWarmup.buffers, `step ${step}: pool grew from ${afterWarmup.buffers} to ${st.buffers} buffers`);
          assert.equal(st.bytes, afterWarmup.bytes);
        }
      }
      assert.ok(lastLoss < firstLoss * 0.5, `loss should fall on this memorisable data: ${firstLoss} → ${lastLoss}`);
    });
  }

  it('a frozen model (DPO reference) allocates no gradients and scoring frees everything', () => {
    const cfg = tinyConfig();
    const model = createModel(cfg, tinyWeights(cfg), getJsBackend());
    model.setRequiresGrad(false);
    const ids = Int32Array.from({ length: 8 }, (_, i) => 3 + i);
    const r = model.forwardLogprobs(ids, ids, 1, 8, { requiresGrad: false });
    assert.equal(r.logps.length, 8);
    assert.throws(() => r.backward(new Float32Array(8)), /requiresGrad: false/);
    assert.equal(model.pool.stats().inUse, 0);
    for (const p of model.parameters.values()) assert.equal(p.grad, null, `${p.name} got a gradient buffer`);
  });
});
