/** Maps the config's `hidden_act` to a GLU kernel activation; unknown values are a config error. */
import type { GluActivation } from '../backend/types.ts';
import { PoetError } from '../util/errors.ts';
import type { ModelConfig } from './config.ts';

export function gluActivation(cfg: ModelConfig): GluActivation {
  const act: string = cfg.hidden_act;
  if (act === 'silu') return 'silu';
  if (act === 'gelu_pytorch_tanh') return 'gelu_tanh';
  const key = cfg.model_type === 'gemma2' ? 'hidden_activation' : 'hidden_act';
  throw new PoetError(
    `config key ${key}: unsupported activation '${act}' for ${cfg.model_type}; expected 'silu' or 'gelu_pytorch_tanh'`,
  );
}
