/**
 * Qwen2 (HF transformers 4.44 `modeling_qwen2.py`): the Llama layout with a bias on the q/k/v projections
 * (never on o_proj); the bias rule itself lives in params.ts (`attentionBiases`). Sliding window only when
 * the config enables it (`use_sliding_window`, mapped to `sliding_window` by the config reader).
 */
import type { ModelConfig } from './config.ts';
import type { Family, FamilyTraits } from './family.ts';
import { gluActivation } from './activation.ts';

function traits(cfg: ModelConfig): FamilyTraits {
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

export const qwen2: Family = { modelType: 'qwen2', hfClass: 'Qwen2ForCausalLM', traits };
