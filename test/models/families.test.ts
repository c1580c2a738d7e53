/**
 * Every model family against the independent float64 PyTorch reference (scripts/make_fixtures.py):
 * logits at real positions, per-token log-probs, the mean masked NLL, and the gradient of every parameter,
 * on every available backend, fp32 tolerance 1e-4 relative.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createModel, IGNORE_INDEX } from '../../src/models/index.ts';
import { availableBackends } from './_backends.ts';
import { assertClose } from './_compare.ts';
import { readFixture, type Fixture } from './_fixture.ts';

const FIXTURES = ['llama', 'mistral', 'qwen2', 'gemma2'];

function weightsOf(fx: Fixture): Map<string, Float32Array> {
  const w = new Map<string, Float32Array>();
  for (const n of fx.names()) if (n.startsWith('w/')) w.set(n.slice(2), fx.f32(n));
  return w;
}

for (const backend of availableBackends()) {
  describe(`model families vs PyTorch reference (${backend.name} backend)`, () => {
    for (const name of FIXTURES) {
      for (const checkpointing of [false, true]) {
        it(`${name}${checkpointing ? ' with gradient checkpointing' : ''}: logits, log-probs, loss and all gradients`, () => {
          const fx = readFixture(new URL(`../fixtures/models/${name}.bin`, import.meta.url).pathname);
          const cfg = fx.meta.config;
          const B = fx.meta.batch;
          const T = fx.meta.seq_len;
          const V = cfg.vocab_size;
          const model = createModel(cfg, weightsOf(fx), backend);
          model.gradientCheckpointing = checkpointing;
          // small chunks so the row-chunked lm_head path (with recompute) is exercised too
          if (checkpointing) {
            model.lmHeadChunkFloats = 5 * V;
            model.keepLogitsFloats = 0;
          }
          const ids = fx.i32('input_ids');
          const targets = fx.i32('targets');
          const lengths = fx.i32('lengths');
          const real = (row: number): boolean => Math.floor(row / T) < B && row % T < lengths[Math.floor(row / T)];

          const logits = model.forwardLogits(ids, B, T, { allPositions: true });
          assertClose(`${name} logits`, logits, fx.f32('logits'), 1e-4, 1e-2, (i) => real(Math.floor(i / V)));

          model.zeroGrad();
          const r = model.forwardLogprobs(ids, targets, B, T);
          assertClose(`${name} logps`, r.logps, fx.f32('logps'));
          let count = 0;
          let nll = 0;
          for (let i = 0; i < B * T; i++) {
            if (targets[i] !== IGNORE_INDEX) {
              count++;
              nll -= r.logps[i];
            }
          }
          assertClose(`${name} loss`, [nll / count], fx.f32('loss'));
          // logits/* metric sums are consistent with the logits themselves at every position
          for (let b = 0; b < B; b++) {
            let s = 0;
            for (let i = b * T * V; i < (b + 1) * T * V; i++) s += logits[i];
            assert.ok(Math.abs(r.logitSums[b] - s) <= 1e-3 * (1 + Math.abs(s)), `${name} logitSums[${b}] ${r.logitSums[b]} vs ${s}`);
          }
          // d(mean NLL)/d logp = −1/count on every scored token
          const dLogps = new Float32Array(B * T);
          for (let i = 0; i < B * T; i++) if (targets[i] !== IGNORE_INDEX) dLogps[i] = -1 / count;
          r.backward(dLogps);
          let checked = 0;
          for (const [pname, p] of model.parameters) {
            assert.ok(p.grad, `${pname} has no gradient`);
            assertClose(`${name} grad ${pname}`, p.grad, fx.f32(`grad/${pname}`));
            checked++;
          }
          assert.equal(checked, fx.names().filter((n) => n.startsWith('grad/')).length);
          assert.equal(model.pool.stats().inUse, 0, 'all activation buffers returned to the pool');
        });
      }
    }
  });
}
