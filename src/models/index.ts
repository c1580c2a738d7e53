/**
 * Model construction: `createModel(cfg, weights)` picks the family by `cfg.model_type` and returns a
 * CausalLM (see causal_lm.ts for the training / generation API).
 */
import type { Backend } from '../backend/types.ts';
import { PoetError } from '../util/errors.ts';
import { CausalLM } from './causal_lm.ts';
import type { ModelConfig } from './config.ts';
import type { Family } from './family.ts';
import { gemma2 } from './gemma2.ts';
import { llama, mistral } from './llama.ts';
import { qwen2 } from './qwen2.ts';

export { CausalLM, IGNORE_INDEX, type KVCache, type LogprobsResult } from './causal_lm.ts';

export const FAMILIES: Record<string, Family> = { llama, mistral, qwen2, gemma2 };

export function familyOf(cfg: ModelConfig): Family {
  const f = FAMILIES[cfg.model_type as string];
  if (!f) {
    throw new PoetError(`config key model_type: unsupported '${cfg.model_type}'; expected one of ${Object.keys(FAMILIES).join(', ')}`);
  }
  return f;
}

/** Build a model from a config and fp32 weights named as in HF (the arrays are used in place, not copied). */
export function createModel(cfg: ModelConfig, weights: Map<string, Float32Array>, backend?: Backend): CausalLM {
  return new CausalLM(cfg, familyOf(cfg), weights, backend);
}
