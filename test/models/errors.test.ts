/** Bad input fails with a PoetError naming the config key, tensor, op or position. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getJsBackend, setBackend } from '../../src/backend/index.ts';
import type { ModelConfig } from '../../src/models/config.ts';
import { createModel } from '../../src/models/index.ts';
import { PoetError } from '../../src/util/errors.ts';
import { tinyConfig, tinyWeights } from './_tiny.ts';

function throwsPoet(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof PoetError, `expected a PoetError, got ${e}`);
    assert.match((e as Error).message, pattern);
    return true;
  });
}

describe('bad input', () => {
  const be = getJsBackend();

  it('unknown hidden_act / hidden_activation names the config key', () => {
    const cfg = tinyConfig({ hidden_act: 'relu' as ModelConfig['hidden_act'] });
    throwsPoet(() => createModel(cfg, tinyWeights(cfg), be), /config key hidden_act: unsupported activation 'relu'/);
    const g = tinyConfig({ model_type: 'gemma2', hidden_act: 'gelu' as ModelConfig['hidden_act'], query_pre_attn_scalar: 4 });
    throwsPoet(() => createModel(g, tinyWeights(g), be), /config key hidden_activation/);
  });

  it('unsupported model_type and inconsistent head counts', () => {
    const cfg = tinyConfig({ model_type: 'gpt2' as ModelConfig['model_type'] });
    throwsPoet(() => createModel(cfg, new Map(), be), /config key model_type: unsupported 'gpt2'/);
    const c2 = tinyConfig({ num_key_value_heads: 3 });
    throwsPoet(() => createModel(c2, tinyWeights(tinyConfig()), be), /config key num_key_value_heads: must divide num_attention_heads \(4\), found 3/);
  });

  it('missing, unexpected and wrongly sized weights name the tensor', () => {
    const cfg = tinyConfig();
    const w = tinyWeights(cfg);
    w.delete('model.layers.1.mlp.up_proj.weight');
    throwsPoet(() => createModel(cfg, w, be), /missing tensor 'model.layers.1.mlp.up_proj.weight' \(expected shape \[24, 16\]\)/);
    const w2 = tinyWeights(cfg);
    w2.set('model.layers.0.self_attn.q_proj.bias', new Float32Array(16));
    throwsPoet(() => createModel(cfg, w2, be), /unexpected tensor 'model.layers.0.self_attn.q_proj.bias'/);
    const w3 = tinyWeights(cfg);
    w3.set('lm_head.weight', new Float32Array(7));
    throwsPoet(() => createModel(cfg, w3, be), /tensor 'lm_head.weight' has 7 values, expected shape \[50, 16\]/);
  });

  it('shape mismatches and out-of-vocabulary ids name the input and position', () => {
    const cfg = tinyConfig();
    const model = createModel(cfg, tinyWeights(cfg), be);
    throwsPoet(() => model.forwardLogprobs(new Int32Array(10), new Int32Array(10), 2, 4), /inputIds: expected shape \[2, 4\] \(8 ids\), found 10/);
    const ids = new Int32Array(8);
    ids[6] = 50;
    throwsPoet(() => model.forwardLogprobs(ids, new Int32Array(8), 2, 4), /inputIds: id 50 at row 1, position 2 is outside the vocabulary \[0, 50\)/);
    const targets = new Int32Array(8);
    targets[1] = -1;
    throwsPoet(() => model.forwardLogprobs(new Int32Array(8), targets, 2, 4), /targets: id -1 at row 0, position 1 .* not the ignore index -100/);
    const r = model.forwardLogprobs(new Int32Array(8), new Int32Array(8), 2, 4);
    throwsPoet(() => r.backward(new Float32Array(3)), /dLogps has 3 values, expected B·T = 8/);
    assert.equal(model.pool.stats().inUse, 0, 'a failed backward still frees the buffers');
    throwsPoet(() => model.forwardLogits(new Int32Array(8), 2, 4, { padLeft: new Int32Array([0, 4]) }), /padLeft: row 1 has 4 pad slots/);
  });

  it('POET_CHECK_NUMERICS=1 turns NaN/Inf from a kernel into an error naming the op', () => {
    const cfg = tinyConfig();
    const w = tinyWeights(cfg);
    w.get('model.layers.1.mlp.gate_proj.weight')![5] = Infinity;
    const model = createModel(cfg, w, be);
    const ids = Int32Array.from({ length: 6 }, (_, i) => 3 + i);
    const before = process.env.POET_CHECK_NUMERICS;
    process.env.POET_CHECK_NUMERICS = '1';
    try {
      throwsPoet(() => model.forwardLogprobs(ids, ids, 1, 6), /numerics check: op 'layers.1.gate_proj' produced (-?Infinity|NaN) in output/);
    } finally {
      if (before === undefined) delete process.env.POET_CHECK_NUMERICS;
      else process.env.POET_CHECK_NUMERICS = before;
    }
    assert.equal(model.pool.stats().inUse, 0);
    // without the check mode, the same forward runs through (and yields non-finite values)
    const r = model.forwardLogprobs(ids, ids, 1, 6, { requiresGrad: false });
    assert.ok(r.logps.some((x) => !Number.isFinite(x)));
  });

  it('an unknown backend name is rejected', () => {
    throwsPoet(() => setBackend('cuda'), /backend: unknown backend 'cuda'; expected 'native' or 'js'/);
  });
});
