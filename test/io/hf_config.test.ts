import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PoetError, PoetMultiError } from '../../src/util/errors.ts';
import { parseHfConfig, toHfConfigJson } from '../../src/io/hf_config.ts';
import { layerUsesSlidingWindow } from '../../src/models/config.ts';
import { readFixtureJson } from './helpers.ts';

const real = readFixtureJson<Record<string, { config: Record<string, unknown>; expected_parameters: number }>>('hf_configs.json');
const cfgOf = (k: string): Record<string, unknown> => structuredClone(real[k]!.config);

test('real configs parse with the right family fields', () => {
  const l3 = parseHfConfig(cfgOf('llama-3-8b'));
  assert.equal(l3.head_dim, 128);
  assert.equal(l3.num_key_value_heads, 8);
  assert.equal(l3.rope_theta, 500000);
  assert.equal(l3.tie_word_embeddings, false);
  assert.equal(l3.torch_dtype, 'bfloat16');
  assert.equal(l3.sliding_window, null);

  const l31 = parseHfConfig(cfgOf('llama-3.1-8b-instruct'));
  assert.deepEqual(l31.rope_scaling, { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 });
  assert.deepEqual(l31.eos_token_id, [128001, 128008, 128009]);

  const m = parseHfConfig(cfgOf('mistral-7b-v0.1'));
  assert.equal(m.sliding_window, 4096);
  assert.ok(layerUsesSlidingWindow(m, 0) && layerUsesSlidingWindow(m, 31));
  assert.equal(m.attention_bias, false);

  const q = parseHfConfig(cfgOf('qwen2-0.5b'));
  assert.equal(q.attention_bias, true);
  assert.equal(q.sliding_window, null, 'use_sliding_window false → no window although sliding_window is set');
  assert.equal(q.tie_word_embeddings, true);
  assert.equal(q.head_dim, 64);

  const g = parseHfConfig(cfgOf('gemma-2-9b-it'));
  assert.equal(g.head_dim, 256, 'explicit head_dim, not hidden/heads (3584/16 = 224)');
  assert.equal(g.hidden_act, 'gelu_pytorch_tanh');
  assert.equal(g.query_pre_attn_scalar, 256);
  assert.equal(g.attn_logit_softcapping, 50);
  assert.equal(g.final_logit_softcapping, 30);
  assert.equal(g.pad_token_id, 0);
  assert.ok(layerUsesSlidingWindow(g, 0) && !layerUsesSlidingWindow(g, 1));
});

test('config round trip: parse(toHfConfigJson(parse(x))) == parse(x), per family', () => {
  for (const k of Object.keys(real)) {
    if (k === 'note') continue;
    const a = parseHfConfig(cfgOf(k));
    const json = toHfConfigJson(a, cfgOf(k));
    const b = parseHfConfig(JSON.parse(JSON.stringify(json)));
    assert.deepEqual(b, a, k);
    // transformers-facing keys
    assert.equal(json.use_cache, true, k);
    assert.equal(json.transformers_version, cfgOf(k).transformers_version, `${k}: unmodelled keys are carried over`);
  }
});

test('written config: architectures and family keys as transformers names them', () => {
  const q = toHfConfigJson(parseHfConfig(cfgOf('qwen2-0.5b')));
  assert.deepEqual(q.architectures, ['Qwen2ForCausalLM']);
  assert.equal(q.use_sliding_window, false);
  const g = toHfConfigJson(parseHfConfig(cfgOf('gemma-2-9b-it')));
  assert.deepEqual(g.architectures, ['Gemma2ForCausalLM']);
  assert.equal(g.hidden_activation, 'gelu_pytorch_tanh');
  const fromNewDtypeKey = toHfConfigJson(parseHfConfig({ model_type: 'llama', dtype: 'float16' }), { dtype: 'float16' });
  assert.equal(fromNewDtypeKey.torch_dtype, 'float16');
  assert.equal(fromNewDtypeKey.dtype, undefined, 'the newer `dtype` key is replaced by torch_dtype');
});

test('HF defaults when keys are absent', () => {
  const l = parseHfConfig({ model_type: 'llama', hidden_size: 64, num_attention_heads: 4 });
  assert.equal(l.head_dim, 16);
  assert.equal(l.num_key_value_heads, 4);
  assert.equal(l.tie_word_embeddings, false);
  assert.equal(l.vocab_size, 32000);
  assert.equal(l.max_position_embeddings, 2048);
  assert.equal(l.rms_norm_eps, 1e-6);
  assert.deepEqual([l.bos_token_id, l.eos_token_id, l.pad_token_id], [1, 2, null]);
  assert.equal(l.torch_dtype, 'float32');

  const m = parseHfConfig({ model_type: 'mistral' });
  assert.deepEqual([m.num_key_value_heads, m.sliding_window, m.max_position_embeddings, m.intermediate_size], [8, 4096, 131072, 14336]);
  const mNoWindow = parseHfConfig({ model_type: 'mistral', sliding_window: null });
  assert.equal(mNoWindow.sliding_window, null);

  const q = parseHfConfig({ model_type: 'qwen2', num_hidden_layers: 4 });
  assert.deepEqual([q.vocab_size, q.sliding_window, q.bos_token_id, q.tie_word_embeddings], [151936, null, null, false]);
  const qAll = parseHfConfig({ model_type: 'qwen2', use_sliding_window: true, sliding_window: 64, max_window_layers: 0 });
  assert.equal(qAll.sliding_window, 64);
  const qNone = parseHfConfig({ model_type: 'qwen2', num_hidden_layers: 4, use_sliding_window: true, max_window_layers: 4 });
  assert.equal(qNone.sliding_window, null);

  const g = parseHfConfig({ model_type: 'gemma2' });
  assert.deepEqual(
    [g.head_dim, g.num_key_value_heads, g.tie_word_embeddings, g.hidden_act, g.sliding_window, g.query_pre_attn_scalar, g.attn_logit_softcapping, g.final_logit_softcapping],
    [256, 4, true, 'gelu_pytorch_tanh', 4096, 256, 50, 30],
  );
  assert.deepEqual([g.bos_token_id, g.eos_token_id, g.pad_token_id], [2, 1, 0]);
  const gNoCap = parseHfConfig({ model_type: 'gemma2', final_logit_softcapping: null });
  assert.equal(gNoCap.final_logit_softcapping, null);
  // gemma2's hidden_act key is ignored (HF reads hidden_activation)
  assert.equal(parseHfConfig({ model_type: 'gemma2', hidden_act: 'gelu' }).hidden_act, 'gelu_pytorch_tanh');
});

function problemsOf(raw: unknown, source = 'x/config.json'): string {
  try {
    parseHfConfig(raw, source);
  } catch (e) {
    assert.ok(e instanceof PoetError, String(e));
    assert.ok(e.message.startsWith(source), e.message);
    return e.message;
  }
  assert.fail('expected a PoetError');
}

test('errors name config.json and the key', () => {
  assert.match(problemsOf({ model_type: 'gpt2' }), /model_type "gpt2" is not supported \(supported: llama, mistral, qwen2, gemma2\)/);
  assert.match(problemsOf({ model_type: 'llama', hidden_act: 'relu' }), /hidden_act: activation "relu" is not supported/);
  assert.match(problemsOf({ model_type: 'gemma2', hidden_activation: 'gelu' }), /hidden_activation: activation "gelu" is not supported/);
  assert.match(problemsOf({ model_type: 'llama', num_attention_heads: 32, num_key_value_heads: 5 }), /num_key_value_heads: num_attention_heads \(32\) must be a multiple of num_key_value_heads \(5\)/);
  assert.match(problemsOf({ model_type: 'llama', hidden_size: 100, num_attention_heads: 3 }), /head_dim: absent, and hidden_size \(100\) is not divisible by num_attention_heads \(3\)/);
  assert.match(problemsOf({ model_type: 'llama', rope_scaling: { type: 'yarn', factor: 4 } }), /rope_scaling: rope type "yarn" is not supported/);
  assert.match(problemsOf({ model_type: 'qwen2', num_hidden_layers: 24, use_sliding_window: true, max_window_layers: 21 }), /max_window_layers: sliding window on layers 21\.\.23 only is not supported/);
  assert.match(problemsOf({ model_type: 'llama', vocab_size: 100, eos_token_id: 100 }), /eos_token_id: token id 100 is outside the vocabulary \[0, 100\)/);
  assert.match(problemsOf({ model_type: 'llama', torch_dtype: 'float64' }), /torch_dtype: expected one of float32, bfloat16, float16, found "float64"/);
  assert.match(problemsOf({ model_type: 'llama', hidden_size: '4096' }), /hidden_size: expected a positive integer, found "4096"/);
  assert.match(problemsOf([1]), /expected a JSON object/);
});

test('all problems of one config are reported in one pass', () => {
  try {
    parseHfConfig({ model_type: 'llama', hidden_size: -1, intermediate_size: 0, hidden_act: 'tanh', rms_norm_eps: 0 }, 'config.json');
    assert.fail('expected an error');
  } catch (e) {
    assert.ok(e instanceof PoetMultiError);
    assert.ok(e.problems.length >= 4, e.message);
    for (const k of ['hidden_size', 'intermediate_size', 'hidden_act', 'rms_norm_eps']) assert.ok(e.problems.some((p) => p.startsWith(`${k}:`)), `${k} in ${e.message}`);
  }
});
