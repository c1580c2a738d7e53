/**
 * The parameter list of each supported family: exact Hugging Face tensor names and shapes, in the
 * order transformers registers them (embedding, layers 0..L-1, final norm, lm_head).
 *
 * Conventions (as in torch.nn.Linear): a projection weight is [out_features, in_features] and its
 * bias [out_features]. Shapes below use H = hidden_size, I = intermediate_size, V = vocab_size,
 * Dh = head_dim, nH = num_attention_heads, nKV = num_key_value_heads.
 *
 * Bias rules, mirroring transformers' modeling files:
 * - qwen2: q/k/v always carry a bias, o_proj never does (Qwen2Attention).
 * - llama, gemma2: `attention_bias` puts a bias on q, k, v AND o_proj (LlamaAttention, Gemma2Attention).
 * - mistral: no attention biases (MistralAttention uses bias=False).
 * - llama `mlp_bias`: bias on gate/up/down.
 * Norms: llama/mistral/qwen2 have two RMSNorms per layer; gemma2 four (pre/post attention, pre/post MLP).
 * Tied embeddings (`tie_word_embeddings`): there is no `lm_head.weight`; the head reuses embed_tokens.
 */
import type { ModelConfig } from './config.ts';

export const EMBED_NAME = 'model.embed_tokens.weight';
export const LM_HEAD_NAME = 'lm_head.weight';
export const FINAL_NORM_NAME = 'model.norm.weight';

/** Whether q/k/v (and o) projections of this family/config carry a bias. */
export function attentionBiases(cfg: ModelConfig): { qkv: boolean; o: boolean } {
  if (cfg.model_type === 'qwen2') return { qkv: true, o: false };
  if (cfg.model_type === 'mistral') return { qkv: false, o: false };
  return { qkv: cfg.attention_bias, o: cfg.attention_bias };
}

/** Names of the RMSNorm weights of one decoder layer (without the `model.layers.i.` prefix). */
export function layerNormNames(cfg: ModelConfig): string[] {
  if (cfg.model_type === 'gemma2') {
    return ['input_layernorm', 'post_attention_layernorm', 'pre_feedforward_layernorm', 'post_feedforward_layernorm'];
  }
  return ['input_layernorm', 'post_attention_layernorm'];
}

/** Every parameter of the model: HF name → shape, in HF registration order. */
export function parameterShapes(cfg: ModelConfig): Map<string, number[]> {
  const H = cfg.hidden_size;
  const I = cfg.intermediate_size;
  const V = cfg.vocab_size;
  const q = cfg.num_attention_heads * cfg.head_dim;
  const kv = cfg.num_key_value_heads * cfg.head_dim;
  const bias = attentionBiases(cfg);
  const shapes = new Map<string, number[]>();

  shapes.set(EMBED_NAME, [V, H]);
  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    shapes.set(`${p}self_attn.q_proj.weight`, [q, H]);
    if (bias.qkv) shapes.set(`${p}self_attn.q_proj.bias`, [q]);
    shapes.set(`${p}self_attn.k_proj.weight`, [kv, H]);
    if (bias.qkv) shapes.set(`${p}self_attn.k_proj.bias`, [kv]);
    shapes.set(`${p}self_attn.v_proj.weight`, [kv, H]);
    if (bias.qkv) shapes.set(`${p}self_attn.v_proj.bias`, [kv]);
    shapes.set(`${p}self_attn.o_proj.weight`, [H, q]);
    if (bias.o) shapes.set(`${p}self_attn.o_proj.bias`, [H]);
    shapes.set(`${p}mlp.gate_proj.weight`, [I, H]);
    if (cfg.mlp_bias) shapes.set(`${p}mlp.gate_proj.bias`, [I]);
    shapes.set(`${p}mlp.up_proj.weight`, [I, H]);
    if (cfg.mlp_bias) shapes.set(`${p}mlp.up_proj.bias`, [I]);
    shapes.set(`${p}mlp.down_proj.weight`, [H, I]);
    if (cfg.mlp_bias) shapes.set(`${p}mlp.down_proj.bias`, [H]);
    for (const n of layerNormNames(cfg)) shapes.set(`${p}${n}.weight`, [H]);
  }
  shapes.set(FINAL_NORM_NAME, [H]);
  if (!cfg.tie_word_embeddings) shapes.set(LM_HEAD_NAME, [V, H]);
  return shapes;
}

/** Kind of a parameter, for initialisation and weight decay decisions. */
export type ParameterKind = 'embedding' | 'linear_weight' | 'bias' | 'norm';

export function parameterKind(name: string): ParameterKind {
  if (name === EMBED_NAME) return 'embedding';
  if (name.endsWith('.bias')) return 'bias';
  if (name.endsWith('layernorm.weight') || name === FINAL_NORM_NAME) return 'norm';
  return 'linear_weight';
}

/** Total number of parameters (tied embeddings counted once). */
export function parameterCount(cfg: ModelConfig): number {
  let n = 0;
  for (const shape of parameterShapes(cfg).values()) n += shape.reduce((a, b) => a * b, 1);
  return n;
}
