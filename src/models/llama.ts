/**
 * Llama family: Llama-2, Llama-3 (with `rope_scaling: llama3`) and Mistral (same layout; sliding-window
 * attention on every layer when `sliding_window` is set). Mirrors HF transformers 4.44
 * `modeling_llama.py` / `modeling_mistral.py`:
 *   x = embed(ids)
 *   per layer: x = x + o_proj(attn(rope(q_proj(n1(x))), rope(k_proj(n1(x))), v_proj(n1(x))))
 *              x = x + down_proj(silu(gate_proj(n2(x))) · up_proj(n2(x)))
 *   logits = lm_head(norm(x))
 * with n1 = input_layernorm, n2 = post_attention_layernorm, attention scale head_dim^-0.5.
 */
import type { ModelConfig } from './config.ts';
import type { Family, FamilyTraits } from './family.ts';
import { gluActivation } from './activation.ts';

/** Llama-layout traits, shared by Mistral and Qwen2 (their differences are in the config: sliding window, q/k/v bias). */
export function llamaTraits(cfg: ModelConfig): FamilyTraits {
  return {
    embedScale: 1,
    normAddOne: false,
    sandwichNorms: false,
    attnScale: 1 / Math.sqrt(cfg.head_dim),
    attnSoftcap: 0,
    finalSoftcap: 0,
    act: gluActivation(cfg),
  };
}

export const llama: Family = { modelType: 'llama', hfClass: 'LlamaForCausalLM', traits: llamaTraits };
export const mistral: Family = { modelType: 'mistral', hfClass: 'MistralForCausalLM', traits: llamaTraits };
