/**
 * Issue "Hugging Face formats", done-when: a model saved by poet reloads in poet with identical logits, and
 * its folder passes the structural check of what transformers requires — for every family, for a trained
 * model (the trainer's final save) and for bf16 storage (logits identical to the bf16-rounded weights).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setBackend } from '../../src/backend/index.ts';
import { initModel } from '../../src/io/init_model.ts';
import { loadModelDir, saveModelDir } from '../../src/io/model_dir.ts';
import { checkTransformersLayout } from '../../src/io/transformers_layout.ts';
import { createModel } from '../../src/models/index.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'poet-roundtrip-'));
const ids = Int32Array.from([1, 40, 41, 42, 100, 7, 9, 200, 3, 5, 11, 13]);

function logits(dir: string): Float32Array {
  const m = loadModelDir(dir);
  return createModel(m.config, m.weights).forwardLogits(ids, 2, 6, { allPositions: true });
}

for (const arch of ['llama', 'mistral', 'qwen2', 'gemma2'] as const) {
  test(`${arch}: save → load gives bit-identical logits (float32) and a transformers-loadable folder`, async () => {
    setBackend('js');
    const src = path.join(root, `${arch}-src`);
    await initModel({ arch, preset: 'tiny', tokenizer: 'byte', out: src, seed: 9 });
    // perturb the weights so that the saved model differs from a fresh init
    const m = loadModelDir(src);
    for (const w of m.weights.values()) for (let i = 0; i < w.length; i += 7) w[i] += 0.01;
    const saved = path.join(root, `${arch}-saved`);
    saveModelDir(saved, m, { saveDtype: 'float32', maxShardBytes: 60_000 });
    assert.deepEqual(checkTransformersLayout(saved).problems, []);
    const before = createModel(m.config, m.weights).forwardLogits(ids, 2, 6, { allPositions: true });
    assert.deepEqual(logits(saved), before);
    // bf16 storage: logits equal those of the bf16-rounded weights, computed independently
    const bf = path.join(root, `${arch}-bf16`);
    saveModelDir(bf, m, { saveDtype: 'bfloat16' });
    const rounded = new Map([...m.weights].map(([k, v]) => {
      const u = new Uint32Array(Float32Array.from(v).buffer);
      // round-to-nearest-even to the top 16 bits (finite values)
      for (let i = 0; i < u.length; i++) u[i] = (u[i]! + 0x7fff + ((u[i]! >>> 16) & 1)) & 0xffff0000;
      return [k, new Float32Array(u.buffer)];
    }));
    assert.deepEqual(logits(bf), createModel(m.config, rounded).forwardLogits(ids, 2, 6, { allPositions: true }));
    assert.equal(JSON.parse(fs.readFileSync(path.join(bf, 'config.json'), 'utf8')).torch_dtype, 'bfloat16');
  });
}
