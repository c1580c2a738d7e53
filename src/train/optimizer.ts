/**
 * AdamW over a model's parameters with HF Trainer semantics (poet-spec §5):
 * torch.optim.AdamW (β1 0.9, β2 0.999, ε 1e-8 by default), decoupled weight decay applied to every
 * parameter except biases and norm weights (HF `get_decay_parameter_names`: LayerNorm-type modules —
 * transformers registers Llama/Gemma RMSNorm among them — and names containing "bias"), gradient
 * clipping by global L2 norm (`torch.nn.utils.clip_grad_norm_`: coef = max_norm / (norm + 1e-6), applied
 * only when < 1), folded into the update as a gradient scale so gradients are not rewritten.
 */
import type { Backend } from '../backend/types.ts';
import type { Parameter } from '../tensor/tensor.ts';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** null or 0 = no clipping. */
  maxGradNorm: number | null;
}

export interface OptimizerState {
  /** Optimizer steps taken so far. */
  step: number;
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

/** HF: no weight decay for biases and (RMS)norm weights. */
export function decays(name: string): boolean {
  if (name.endsWith('.bias')) return false;
  return !/(?:norm|layernorm)\.weight$/.test(name);
}

export class AdamW {
  readonly state: OptimizerState;

  constructor(
    private readonly backend: Backend,
    private readonly params: Parameter[],
    private readonly opts: AdamWOptions,
    state?: OptimizerState,
  ) {
    this.state = state ?? {
      step: 0,
      m: new Map(params.map((p) => [p.name, new Float32Array(p.size)])),
      v: new Map(params.map((p) => [p.name, new Float32Array(p.size)])),
    };
    for (const p of params) {
      if (!this.state.m.has(p.name) || this.state.m.get(p.name)!.length !== p.size) {
        throw new Error(`optimizer state does not match parameter ${p.name}`);
      }
    }
  }

  /** Global L2 norm of all gradients (before clipping), accumulated in double precision. */
  gradNorm(): number {
    let s = 0;
    for (const p of this.params) if (p.grad) s += this.backend.sumSquares({ x: p.grad, len: p.size });
    return Math.sqrt(s);
  }

  /**
   * One update at learning rate `lr`. Returns the pre-clipping gradient norm (what HF logs as grad_norm).
   */
  step(lr: number): number {
    const norm = this.gradNorm();
    const max = this.opts.maxGradNorm;
    const coef = max !== null && max > 0 ? max / (norm + 1e-6) : 1;
    const gradScale = coef < 1 ? coef : 1;
    this.state.step += 1;
    for (const p of this.params) {
      if (!p.requiresGrad) continue;
      const grad = p.ensureGrad();
      this.backend.adamw({
        param: p.data,
        grad,
        m: this.state.m.get(p.name)!,
        v: this.state.v.get(p.name)!,
        len: p.size,
        lr,
        beta1: this.opts.beta1,
        beta2: this.opts.beta2,
        eps: this.opts.eps,
        weightDecay: decays(p.name) ? this.opts.weightDecay : 0,
        step: this.state.step,
        gradScale,
      });
    }
    return norm;
  }
}
