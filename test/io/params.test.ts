import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parameterCount, parameterKind, parameterShapes } from '../../src/models/params.ts';
import { parseHfConfig } from '../../src/io/hf_config.ts';
import { readFixtureJson } from './helpers.ts';

const real = readFixtureJson<Record<string, { config: Record<string, unknown>; expected_parameters: number }>>('hf_configs.json');

test('parameter counts equal the published sizes of real checkpoints', () => {
  for (const [k, v] of Object.entries(real)) {
    if (k === 'note') continue;
    assert.equal(parameterCount(parseHfConfig(v.config)), v.expected_parameters, k);
  }
});

const small = { hidden_size: 8, intermediate_size: 12, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1, vocab_size: 10 };

test('llama: names, [out, in] shapes, order, untied head', () => {
  const s = parameterShapes(parseHfConfig({ model_type: 'llama', ...small }));
  const names = [...s.keys()];
  assert.equal(names[0], 'model.embed_tokens.weight');
  assert.deepEqual(names.slice(-2), ['model.norm.weight', 'lm_head.weight']);
  assert.deepEqual(s.get('model.embed_tokens.weight'), [10, 8]);
  assert.deepEqual(s.get('model.layers.1.self_attn.q_proj.weight'), [8, 8]);
  assert.deepEqual(s.get('model.layers.1.self_attn.k_proj.weight'), [4, 8]);
  assert.deepEqual(s.get('model.layers.1.self_attn.o_proj.weight'), [8, 8]);
  assert.deepEqual(s.get('model.layers.0.mlp.gate_proj.weight'), [12, 8]);
  assert.deepEqual(s.get('model.layers.0.mlp.down_proj.weight'), [8, 12]);
  assert.deepEqual(s.get('lm_head.weight'), [10, 8]);
  assert.equal(names.length, 1 + 2 * 9 + 2);
  assert.ok(!names.some((n) => n.endsWith('.bias')));
});

test('llama attention_bias / mlp_bias put biases on q, k, v, o and the MLP', () => {
  const s = parameterShapes(parseHfConfig({ model_type: 'llama', ...small, attention_bias: true, mlp_bias: true }));
  assert.deepEqual(s.get('model.layers.0.self_attn.q_proj.bias'), [8]);
  assert.deepEqual(s.get('model.layers.0.self_attn.k_proj.bias'), [4]);
  assert.deepEqual(s.get('model.layers.0.self_attn.o_proj.bias'), [8]);
  assert.deepEqual(s.get('model.layers.0.mlp.gate_proj.bias'), [12]);
  assert.deepEqual(s.get('model.layers.0.mlp.down_proj.bias'), [8]);
});

test('qwen2: q/k/v biases, no o_proj bias; tied → no lm_head', () => {
  const s = parameterShapes(parseHfConfig({ model_type: 'qwen2', ...small, tie_word_embeddings: true }));
  assert.deepEqual(s.get('model.layers.0.self_attn.v_proj.bias'), [4]);
  assert.equal(s.has('model.layers.0.self_attn.o_proj.bias'), false);
  assert.equal(s.has('lm_head.weight'), false);
});

test('gemma2: four norms per layer, explicit head_dim, tied by default', () => {
  const s = parameterShapes(parseHfConfig({ model_type: 'gemma2', ...small, head_dim: 6 }));
  for (const n of ['input_layernorm', 'post_attention_layernorm', 'pre_feedforward_layernorm', 'post_feedforward_layernorm']) {
    assert.deepEqual(s.get(`model.layers.1.${n}.weight`), [8], n);
  }
  assert.deepEqual(s.get('model.layers.0.self_attn.q_proj.weight'), [12, 8]);
  assert.deepEqual(s.get('model.layers.0.self_attn.o_proj.weight'), [8, 12]);
  assert.equal(s.has('lm_head.weight'), false);
});

test('parameterKind classifies names', () => {
  assert.equal(parameterKind('model.embed_tokens.weight'), 'embedding');
  assert.equal(parameterKind('lm_head.weight'), 'linear_weight');
  assert.equal(parameterKind('model.layers.3.pre_feedforward_layernorm.weight'), 'norm');
  assert.equal(parameterKind('model.norm.weight'), 'norm');
  assert.equal(parameterKind('model.layers.0.self_attn.q_proj.bias'), 'bias');
});
