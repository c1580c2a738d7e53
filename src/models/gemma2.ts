/**
 * Gemma-2 (HF transformers 4.44 `modeling_gemma2.py`, Gemma Team 2024):
 *   x = embed(ids) · fp32(sqrt(hidden_size))            (HF casts the normaliser to the compute dtype)
 *   per layer: x = x + post_attention_layernorm(attn(input_layernorm(x)))
 *              x = x + post_feedforward_layernorm(mlp(pre_feedforward_layernorm(x)))
 *   logits = final_softcap(lm_head(norm(x)))             (lm_head tied to embed_tokens by default)
 * RMSNorm multiplies by (1 + w); attention scale query_pre_attn_scalar^-0.5; attention scores are
 * soft-capped s ← c·tanh(s/c) with c = attn_logit_softcapping; the MLP uses GeGLU with tanh-GELU
 * (`hidden_activation: gelu_pytorch_tanh`); even layers (0, 2, …) use the sliding window.
 */
import { PoetError } from '../util/errors.ts';
import type { ModelConfig } from './config.ts';
import type { Family, FamilyTraits } from './family.ts';
import { gluActivation } from './activation.ts';

function traits(cfg: ModelConfig): FamilyTraits {
  const qpas = cfg.query_pre_attn_scalar;
  if (qpas === null || !(qpas > 0)) {
    throw new PoetError(`config key query_pre_attn_scalar: gemma2 needs a positive number, found ${qpas}`);
  }
  return {
    embedScale: Math.fround(Math.sqrt(cfg.hidden_size)),
    normAddOne: true,
    sandwichNorms: true,
    attnScale: 1 / Math.sqrt(qpas),
    attnSoftcap: cfg.attn_logit_softcapping ?? 0,
    finalSoftcap: cfg.final_logit_softcapping ?? 0,
    act: gluActivation(cfg),
  };
}

export const gemma2: Family = { modelType: 'gemma2', hfClass: 'Gemma2ForCausalLM', traits };
