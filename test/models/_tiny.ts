/** A tiny random model config + weights for tests that need no reference values. */
import type { ModelConfig } from '../../src/models/config.ts';
import { parameterShapes } from '../../src/models/params.ts';
import { rng } from '../tensor/_gradcheck.ts';

export function tinyConfig(over: Partial<ModelConfig> = {}): ModelConfig {
  return {
    model_type: 'llama', vocab_size: 50, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2,
    num_attention_heads: 4, num_key_value_heads: 2, head_dim: 4, max_position_embeddings: 64, rms_norm_eps: 1e-6,
    rope_theta: 10000, rope_scaling: null, hidden_act: 'silu', tie_word_embeddings: false, attention_bias: false,
    mlp_bias: false, sliding_window: null, query_pre_attn_scalar: null, attn_logit_softcapping: null,
    final_logit_softcapping: null, initializer_range: 0.02, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0,
    torch_dtype: 'float32', ...over,
  };
}

export function tinyWeights(cfg: ModelConfig, seed = 1): Map<string, Float32Array> {
  const r = rng(seed);
  const w = new Map<string, Float32Array>();
  for (const [name, shape] of parameterShapes(cfg)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const isNorm = name.endsWith('norm.weight');
    w.set(name, Float32Array.from({ length: n }, () => (isNorm ? 1 : 0) + r() * 0.2));
  }
  return w;
}
