/**
 * Qwen2 (HF transformers 4.44 `modeling_qwen2.py`): the Llama layout with a bias on the q/k/v projections
 * (never on o_proj); the bias rule itself lives in params.ts (`attentionBiases`). Sliding window only when
 * the config enables it (`use_sliding_window`, mapped to `sliding_window` by the config reader).
 */
import type { Family } from './family.ts';
import { llamaTraits } from './llama.ts';

export const qwen2: Family = { modelType: 'qwen2', hfClass: 'Qwen2ForCausalLM', traits: llamaTraits };
