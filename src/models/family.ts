/**
 * What distinguishes one decoder family from another, as data. The shared decoder (causal_lm.ts) reads
 * these traits; each family file (llama.ts, qwen2.ts, gemma2.ts) fills them in and cites the HF modeling
 * code it follows. Adding a family = one new file + one entry in FAMILIES (index.ts).
 */
import type { GluActivation } from '../backend/types.ts';
import type { ModelConfig } from './config.ts';

export interface FamilyTraits {
  /** Multiplier on the token embeddings (Gemma-2: fp32(sqrt(hidden_size)); others 1). */
  embedScale: number;
  /** RMSNorm weight used as (1 + w) (Gemma-2). */
  normAddOne: boolean;
  /** Gemma-2 "sandwich" norms: post_attention_layernorm after attention, pre/post_feedforward around the MLP. */
  sandwichNorms: boolean;
  /** Attention score scale. */
  attnScale: number;
  /** Attention score soft-cap (0 = none). */
  attnSoftcap: number;
  /** Final logit soft-cap (0 = none). */
  finalSoftcap: number;
  /** MLP activation of the gate. */
  act: GluActivation;
}

export interface Family {
  modelType: ModelConfig['model_type'];
  /** HF class this file mirrors, for messages and docs. */
  hfClass: string;
  traits(cfg: ModelConfig): FamilyTraits;
}
