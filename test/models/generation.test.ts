/**
 * Generation paths: KV-cache prefill + one-token decode steps give the same logits as a full forward,
 * and left-padded batched prompts give the same logits as each prompt run alone.
 */
import { describe, it } from 'node:test';
import { createModel } from '../../src/models/index.ts';
import { availableBackends } from './_backends.ts';
import { assertClose } from './_compare.ts';
import { readFixture } from './_fixture.ts';

function load(name: string, backend: Parameters<typeof createModel>[2]) {
  const fx = readFixture(new URL(`../fixtures/models/${name}.bin`, import.meta.url).pathname);
  const w = new Map<string, Float32Array>();
  for (const n of fx.names()) if (n.startsWith('w/')) w.set(n.slice(2), fx.f32(n));
  return createModel(fx.meta.config, w, backend);
}

const seqs = [
  [5, 9, 17, 3, 44, 21, 8, 30, 12, 7, 61],
  [40, 2, 33, 19],
  [11, 12, 13, 14, 15, 16, 17],
];

for (const backend of availableBackends()) {
  describe(`generation (${backend.name} backend)`, () => {
    for (const name of ['llama', 'mistral', 'qwen2', 'gemma2']) {
      it(`${name}: KV-cache decode equals the full forward at every position`, () => {
        const model = load(name, backend);
        const V = model.config.vocab_size;
        const ids = Int32Array.from(seqs[0]);
        const T = ids.length;
        const full = model.forwardLogits(ids, 1, T, { allPositions: true });
        const cache = model.createKVCache(1, T + 2);
        const P = 4;
        let logits = model.prefill(cache, ids.subarray(0, P), 1, P);
        assertClose(`${name} prefill logits`, logits, full.subarray((P - 1) * V, P * V));
        for (let t = P; t < T; t++) {
          logits = model.decodeStep(cache, ids.subarray(t, t + 1));
          assertClose(`${name} decode step at position ${t}`, logits, full.subarray(t * V, (t + 1) * V));
        }
      });

      it(`${name}: left-padded batch equals each prompt alone (prefill, decode, no-cache path)`, () => {
        const model = load(name, backend);
        const V = model.config.vocab_size;
        const B = seqs.length;
        const prompts = seqs.map((s) => s.slice(0, -2)); // the last 2 tokens are fed as decode steps
        const P = Math.max(...prompts.map((p) => p.length));
        const padLeft = Int32Array.from(prompts.map((p) => P - p.length));
        const ids = new Int32Array(B * P); // pad id 0
        prompts.forEach((p, b) => ids.set(p, b * P + padLeft[b]));

        const cache = model.createKVCache(B, P + 2);
        const batched = [model.prefill(cache, ids, B, P, padLeft)];
        for (let step = 0; step < 2; step++) {
          const tok = Int32Array.from(seqs.map((s) => s[s.length - 2 + step]));
          batched.push(model.decodeStep(cache, tok));
        }
        const noCache = model.forwardLogits(ids, B, P, { padLeft });
        for (let b = 0; b < B; b++) {
          const alone = model.forwardLogits(Int32Array.from(seqs[b]), 1, seqs[b].length, { allPositions: true });
          const L = prompts[b].length;
          for (let step = 0; step < 3; step++) {
            assertClose(
              `${name} row ${b} step ${step}`,
              batched[step].subarray(b * V, (b + 1) * V),
              alone.subarray((L - 1 + step) * V, (L + step) * V),
            );
          }
          assertClose(`${name} row ${b} no-cache padded`, noCache.subarray(b * V, (b + 1) * V), alone.subarray((L - 1) * V, L * V));
        }
      });
    }
  });
}
