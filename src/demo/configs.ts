/**
 * Training configs of the demo as plain objects with the original's keys (docs/configs.md), one builder for SFT
 * and one for the four preference methods. All methods share one budget; only the method's own keys differ
 * (docs/demo.md §4).
 */
import type { DemoOptions, MethodName, TrainBudget } from './options.ts';

export interface MethodSpec {
  name: MethodName;
  /** label in tables and charts */
  label: string;
  trainer_type: 'dpo' | 'simpo';
  use_poet: boolean;
  beta: number;
  /** SimPO only */
  gamma_beta_ratio?: number;
}

/**
 * β: DPO 0.1 (TRL's default); SimPO β = 2.0 with γ/β = 0.5 (the original's Llama-3-Base SimPO configs, spec §4.1).
 */
export const METHODS: Readonly<Record<MethodName, MethodSpec>> = {
  dpo: { name: 'dpo', label: 'DPO', trainer_type: 'dpo', use_poet: false, beta: 0.1 },
  'dpo-poet': { name: 'dpo-poet', label: 'DPO+POET', trainer_type: 'dpo', use_poet: true, beta: 0.1 },
  simpo: { name: 'simpo', label: 'SimPO', trainer_type: 'simpo', use_poet: false, beta: 2.0, gamma_beta_ratio: 0.5 },
  'simpo-poet': { name: 'simpo-poet', label: 'SimPO+POET', trainer_type: 'simpo', use_poet: true, beta: 2.0, gamma_beta_ratio: 0.5 },
};

const COMMON = {
  lr_scheduler_type: 'cosine',
  num_train_epochs: 1,
  eval_strategy: 'no',
  save_strategy: 'no',
  // A finished stage is marked by the demo; partial runs restart from scratch (no checkpoints to resume).
  resume_from_checkpoint: false,
} as const;

/** The training-budget keys shared by every demo config (identical budgets across methods). */
function budgetKeys(b: TrainBudget): Record<string, unknown> {
  return {
    learning_rate: b.learningRate,
    warmup_ratio: b.warmupRatio,
    max_steps: b.maxSteps,
    per_device_train_batch_size: b.batchSize,
    gradient_accumulation_steps: b.gradientAccumulationSteps,
    logging_steps: b.loggingSteps,
  };
}

export function sftConfig(o: DemoOptions, modelDir: string, dataDir: string, outDir: string): Record<string, unknown> {
  const b = o.sft;
  return {
    trainer_type: 'sft',
    model_name_or_path: modelDir,
    dataset_mixer: { [dataDir]: 1.0 },
    dataset_splits: ['train', 'test'],
    max_length: b.maxLength,
    output_dir: outDir,
    ...budgetKeys(b),
    seed: b.seed,
    backend: o.backend,
    ...COMMON,
  };
}

export function preferenceConfig(
  o: DemoOptions,
  method: MethodName,
  seed: number,
  sftModelDir: string,
  prefsDir: string,
  outDir: string,
): Record<string, unknown> {
  const m = METHODS[method];
  const b = o.pref;
  const cfg: Record<string, unknown> = {
    trainer_type: m.trainer_type,
    model_name_or_path: sftModelDir,
    dataset_mixer: { [prefsDir]: 1.0 },
    dataset_splits: ['train_prefs', 'test_prefs'],
    beta: m.beta,
    use_poet: m.use_poet,
    max_length: b.maxLength,
    max_prompt_length: b.maxPromptLength,
    output_dir: outDir,
    ...budgetKeys(b),
    seed,
    backend: o.backend,
    ...COMMON,
  };
  if (m.gamma_beta_ratio !== undefined) cfg.gamma_beta_ratio = m.gamma_beta_ratio;
  return cfg;
}
