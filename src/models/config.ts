/**
 * poet's model configuration: the subset of a Hugging Face config.json that the supported decoder
 * families use, with HF's names. One type serves all families; family-specific fields are optional.
 *
 * Families (HF `model_type`): llama (also Llama-2/3), mistral (llama layout + sliding window),
 * qwen2 (llama layout + q/k/v bias), gemma2 (pre+post norms, sqrt(hidden) embedding scale,
 * query_pre_attn_scalar, soft-capping, alternating sliding-window layers, tied embeddings).
 *
 * Parsing from / writing to config.json lives in src/io/hf_config.ts.
 */
export type ModelType = 'llama' | 'mistral' | 'qwen2' | 'gemma2';

/** HF `rope_scaling` (only the Llama-3 scheme is supported besides none). */
export interface RopeScaling {
  rope_type: 'llama3';
  factor: number;
  low_freq_factor: number;
  high_freq_factor: number;
  original_max_position_embeddings: number;
}

export interface ModelConfig {
  model_type: ModelType;
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  /** Per-head dimension; HF default hidden_size / num_attention_heads (gemma2 sets it explicitly). */
  head_dim: number;
  max_position_embeddings: number;
  rms_norm_eps: number;
  rope_theta: number;
  rope_scaling: RopeScaling | null;
  /** 'silu' → SwiGLU MLP; 'gelu_pytorch_tanh' → GeGLU (Gemma). HF key: hidden_act (gemma2: hidden_activation). */
  hidden_act: 'silu' | 'gelu_pytorch_tanh';
  tie_word_embeddings: boolean;
  /** Qwen2: bias on q/k/v projections. (HF llama's `attention_bias` maps here too.) */
  attention_bias: boolean;
  /** Llama `mlp_bias` (rare). */
  mlp_bias: boolean;
  /** null = full causal attention. Mistral: every layer; gemma2: even layers (0,2,…) only; qwen2: see use_sliding_window. */
  sliding_window: number | null;
  /** gemma2 only: attention scale is query_pre_attn_scalar^-0.5 instead of head_dim^-0.5. */
  query_pre_attn_scalar: number | null;
  /** gemma2 only: s ← c·tanh(s/c) on attention scores (null = off). */
  attn_logit_softcapping: number | null;
  /** gemma2 only: logits ← c·tanh(logits/c) on the final logits (null = off). */
  final_logit_softcapping: number | null;
  initializer_range: number;
  bos_token_id: number | null;
  eos_token_id: number | number[] | null;
  pad_token_id: number | null;
  /** The dtype the checkpoint was stored in (HF `torch_dtype`); poet computes in fp32. */
  torch_dtype: 'float32' | 'bfloat16' | 'float16';
}

/** Whether layer `i` uses sliding-window attention (HF semantics per family). */
export function layerUsesSlidingWindow(cfg: ModelConfig, layer: number): boolean {
  if (cfg.sliding_window === null) return false;
  if (cfg.model_type === 'gemma2') return layer % 2 === 0;
  return true;
}
