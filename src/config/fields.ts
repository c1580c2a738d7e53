/**
 * Every key a poet training config can hold: its zod type, default, group, how a command-line override is
 * cast, whether poet acts on it, and one line of documentation. This table is the single source for
 * validation (load.ts / resolve.ts), override casting (overrides.ts) and the reference in docs/configs.md
 * (reference.ts renders it; a test keeps the page in sync).
 *
 * Names and defaults follow the original's argument groups (poet-spec §2, §3, §4, §5):
 *   model    = alignment-handbook ModelArguments
 *   data     = alignment-handbook DataArguments
 *   trainer  = SimPOConfig / DPOConfig (POET's copies of SimPO's and TRL 0.9.6's configs)
 *   training = Hugging Face TrainingArguments (transformers 4.44)
 *   poet     = keys the original does not have
 * Defaults that differ between DPO and SimPO (beta, max_completion_length) are left undefined here and
 * filled by resolve.ts once the trainer type is known.
 */
import { z } from 'zod';

// ----- small zod building blocks -----

const posInt = () => z.int().positive();
const nonNegNumber = () => z.number().nonnegative();
const fraction01 = () => z.number().min(0).max(1);
/** HF logging/eval/save steps: an int ≥ 1, or a ratio of the total steps when in (0, 1). */
const stepsOrRatio = () => z.number().positive();
/** Any YAML value: used for keys poet accepts but does not act on. */
const anyValue = () => z.unknown();

export const TRAINER_TYPES = ['dpo', 'simpo', 'sft'] as const;
export type TrainerType = (typeof TRAINER_TYPES)[number];

/** TRL 0.9.6 DPO loss types (spec §2.2). `kto_pair` is rejected there too. */
export const DPO_LOSS_TYPES = [
  'sigmoid',
  'hinge',
  'ipo',
  'exo_pair',
  'nca_pair',
  'robust',
  'bco_pair',
  'sppo_hard',
  'aot',
  'aot_pair',
] as const;
/** SimPO loss types (spec §2.1). */
export const SIMPO_LOSS_TYPES = ['sigmoid', 'hinge'] as const;
export const LR_SCHEDULERS = ['linear', 'cosine', 'constant', 'constant_with_warmup'] as const;
export const DTYPES = ['float32', 'bfloat16', 'float16'] as const;
export const INTERVAL_STRATEGIES = ['no', 'steps', 'epoch'] as const;

// ----- the schema -----

export const fieldSchemas = {
  // model (ModelArguments)
  model_name_or_path: z.string().min(1),
  ref_model_name_or_path: z.string().min(1).nullable().default(null),
  tokenizer_name_or_path: z.string().min(1).nullable().default(null),
  model_revision: anyValue(),
  torch_dtype: anyValue(),
  attn_implementation: anyValue(),
  trust_remote_code: anyValue(),
  use_peft: z.literal(false, { error: 'poet trains all weights; LoRA/PEFT (use_peft: true) is not supported' }).default(false),
  load_in_8bit: z.literal(false, { error: 'poet does not load quantized models (load_in_8bit must be false)' }).default(false),
  load_in_4bit: z.literal(false, { error: 'poet does not load quantized models (load_in_4bit must be false)' }).default(false),
  lora_r: anyValue(),
  lora_alpha: anyValue(),
  lora_dropout: anyValue(),
  lora_target_modules: anyValue(),
  lora_modules_to_save: anyValue(),

  // data (DataArguments)
  dataset_mixer: z.record(z.string().min(1), fraction01()),
  dataset_splits: z.array(z.string().min(1)).min(1).default(['train', 'test']),
  dataset_configs: z.array(z.string()).nullable().default(null),
  chat_template: z.string().nullable().default(null),
  auto_insert_empty_system_msg: z.boolean().default(true),
  preprocessing_num_workers: anyValue(),
  truncation_side: anyValue(),

  // trainer (SimPOConfig / DPOConfig)
  trainer_type: z.enum(TRAINER_TYPES).optional(),
  beta: z.number().positive().optional(),
  loss_type: z.string().default('sigmoid'),
  label_smoothing: z.number().min(0).lt(1).default(0),
  use_poet: z.boolean().default(false),
  max_length: posInt().nullable().optional(),
  max_prompt_length: posInt().nullable().optional(),
  max_completion_length: posInt().nullable().optional(),
  truncation_mode: z.enum(['keep_end', 'keep_start']).default('keep_end'),
  label_pad_token_id: z.int().default(-100),
  padding_value: z.int().nullable().default(null),
  disable_dropout: z.boolean().default(true),
  gamma_beta_ratio: z.number().default(0.25),
  sft_weight: nonNegNumber().default(0),
  alpha: anyValue(),
  reference_free: z.boolean().default(false),
  precompute_ref_log_probs: z.boolean().default(false),
  sync_ref_model: z.boolean().default(false),
  ref_model_mixup_alpha: fraction01().default(0.9),
  ref_model_sync_steps: posInt().default(64),
  rpo_alpha: nonNegNumber().nullable().default(null),
  f_divergence_type: z.enum(['reverse_kl', 'js_divergence', 'alpha_divergence']).default('reverse_kl'),
  f_alpha_divergence_coef: z.number().positive().default(1.0),
  max_target_length: anyValue(),
  is_encoder_decoder: z.literal(false, { error: 'poet trains decoder-only models; is_encoder_decoder must be false or null' }).nullable().default(null),
  generate_during_eval: anyValue(),
  dataset_num_proc: anyValue(),
  model_init_kwargs: anyValue(),
  ref_model_init_kwargs: anyValue(),
  model_adapter_name: anyValue(),
  ref_adapter_name: anyValue(),
  force_use_ref_model: anyValue(),

  // training (HF TrainingArguments)
  output_dir: z.string().min(1),
  run_name: z.string().nullable().default(null),
  seed: z.int().nonnegative().default(42),
  data_seed: z.int().nonnegative().nullable().default(null),
  learning_rate: nonNegNumber().default(5e-5),
  lr_scheduler_type: z.enum(LR_SCHEDULERS).default('linear'),
  warmup_ratio: fraction01().default(0),
  warmup_steps: z.int().nonnegative().default(0),
  num_train_epochs: nonNegNumber().default(3),
  max_steps: z.int().min(-1).default(-1),
  per_device_train_batch_size: posInt().default(8),
  per_device_eval_batch_size: posInt().default(8),
  gradient_accumulation_steps: posInt().default(1),
  optim: z.literal('adamw_torch', { error: 'poet implements AdamW only: optim must be "adamw_torch"' }).default('adamw_torch'),
  weight_decay: nonNegNumber().default(0),
  adam_beta1: z.number().min(0).lt(1).default(0.9),
  adam_beta2: z.number().min(0).lt(1).default(0.999),
  adam_epsilon: z.number().positive().default(1e-8),
  max_grad_norm: nonNegNumber().nullable().default(1.0),
  logging_steps: stepsOrRatio().default(500),
  logging_first_step: z.boolean().default(false),
  eval_strategy: z.enum(INTERVAL_STRATEGIES).default('no'),
  evaluation_strategy: z.enum(INTERVAL_STRATEGIES).optional(),
  eval_steps: stepsOrRatio().nullable().default(null),
  do_eval: z.boolean().default(false),
  save_strategy: z.enum(INTERVAL_STRATEGIES).default('steps'),
  save_steps: stepsOrRatio().default(500),
  save_total_limit: posInt().nullable().default(null),
  resume_from_checkpoint: z.union([z.string().min(1), z.boolean()]).nullable().default(null),
  gradient_checkpointing: z.boolean().default(false),
  group_by_length: z.boolean().default(false),
  bf16: z.boolean().default(false),
  fp16: z.boolean().default(false),
  push_to_hub: z.literal(false, { error: 'poet does not upload models; push_to_hub must be false' }).default(false),
  hub_model_id: anyValue(),
  hub_strategy: anyValue(),
  hub_private_repo: anyValue(),
  report_to: anyValue(),
  log_level: anyValue(),
  logging_dir: anyValue(),
  logging_strategy: anyValue(),
  save_only_model: anyValue(),
  gradient_checkpointing_kwargs: anyValue(),
  overwrite_output_dir: anyValue(),
  do_train: anyValue(),
  do_predict: anyValue(),
  remove_unused_columns: anyValue(),
  dataloader_num_workers: anyValue(),
  dataloader_drop_last: anyValue(),
  tf32: anyValue(),
  ddp_timeout: anyValue(),
  local_rank: anyValue(),
  lr_scheduler_kwargs: anyValue(),
  disable_tqdm: anyValue(),

  // poet
  backend: z.enum(['native', 'js']).default('native'),
  save_dtype: z.enum(DTYPES).nullable().default(null),
  skip_invalid_rows: z.boolean().default(false),
  data_cache_dir: z.string().min(1).nullable().default(null),
} as const;

export type FieldName = keyof typeof fieldSchemas;

/** The whole config as one strict zod object (unknown keys are errors). Used for typing and by other tools. */
export const trainingConfigSchema = z.object(fieldSchemas).strict();

export type Group = 'model' | 'data' | 'trainer' | 'training' | 'poet';
/**
 * How poet treats a key:
 *  used   — poet acts on it;
 *  unused — accepted so the original's files load, listed once in a notice, otherwise ignored;
 *  alias  — another name for a used key (mapped, with a notice).
 */
export type Use = 'used' | 'unused' | 'alias';
/** How an override string is cast before validation (the schema then checks the value). */
export type Kind = 'int' | 'float' | 'bool' | 'string' | 'list' | 'mixer' | 'any' | 'string_or_bool';
/** Which trainers a key belongs to; setting a key of another trainer is an error. */
export type Only = 'dpo' | 'simpo' | 'preference';

export interface FieldInfo {
  group: Group;
  kind: Kind;
  use: Use;
  /** Restricted to one trainer family (absent = every trainer). */
  only?: Only;
  /** Default as shown in the docs when it is not simply the zod default. */
  defaultText?: string;
  doc: string;
}

const u = (group: Group, doc: string, kind: Kind = 'any', extra: Partial<FieldInfo> = {}): FieldInfo => ({
  group,
  kind,
  use: 'unused',
  doc,
  ...extra,
});
const f = (group: Group, kind: Kind, doc: string, extra: Partial<FieldInfo> = {}): FieldInfo => ({
  group,
  kind,
  use: 'used',
  doc,
  ...extra,
});

export const fieldInfo: Record<FieldName, FieldInfo> = {
  model_name_or_path: f('model', 'string', 'Policy model: a local Hugging Face model folder (config.json + safetensors + tokenizer files). Required.', { defaultText: 'required' }),
  ref_model_name_or_path: f('model', 'string', 'DPO reference model folder; null = a second copy of model_name_or_path (what the original does).', { only: 'dpo' }),
  tokenizer_name_or_path: f('model', 'string', 'Folder with the tokenizer files; null = model_name_or_path.'),
  model_revision: u('model', 'Hub revision; poet reads local folders only.', 'string'),
  torch_dtype: u('model', 'Load dtype in the original (null = fp32). poet always computes in fp32 on CPU and converts bf16/f16 weights on load; see save_dtype for the saved dtype.', 'string'),
  attn_implementation: u('model', 'flash_attention_2 / eager / sdpa in the original. poet has one attention kernel (exact causal attention).', 'string'),
  trust_remote_code: u('model', 'poet runs no model code from the hub.', 'bool'),
  use_peft: f('model', 'bool', 'Must be false: poet trains all weights (no LoRA).'),
  load_in_8bit: f('model', 'bool', 'Must be false: no quantized loading.'),
  load_in_4bit: f('model', 'bool', 'Must be false: no quantized loading.'),
  lora_r: u('model', 'LoRA setting; only meaningful with use_peft, which poet does not support.'),
  lora_alpha: u('model', 'LoRA setting (see lora_r).'),
  lora_dropout: u('model', 'LoRA setting (see lora_r).'),
  lora_target_modules: u('model', 'LoRA setting (see lora_r).'),
  lora_modules_to_save: u('model', 'LoRA setting (see lora_r).'),

  dataset_mixer: f('data', 'mixer', 'Map of dataset → fraction in [0, 1]. A dataset is a local folder with one file per split (`<dir>/<split>.jsonl|json|parquet`) or a file. Train splits keep the first ⌊fraction·n⌋ rows; test splits are not subsampled. Required. Override form: `--dataset_mixer=path:1.0,other:0.5`.', { defaultText: 'required' }),
  dataset_splits: f('data', 'list', 'Split names to load; names containing "train" go to training, names containing "test" to evaluation, any other name is an error. Override form: `--dataset_splits=train_prefs,test_prefs`.'),
  dataset_configs: f('data', 'list', 'Per-dataset config names (hub datasets); when set it must have one entry per dataset_mixer entry.'),
  chat_template: f('data', 'string', 'Jinja chat template overriding the tokenizer\'s own (the Gemma-2 configs set one).'),
  auto_insert_empty_system_msg: f('data', 'bool', 'Insert an empty system message before the prompt when the template mentions "system" or "<|im_start|>" (spec §3.2).'),
  preprocessing_num_workers: u('data', 'Worker processes for the chat-template map in the original; poet\'s data pipeline picks its own worker count.', 'int'),
  truncation_side: u('data', 'Set on the tokenizer by the original but without effect (spec §3.5).', 'string'),

  trainer_type: f('trainer', 'string', 'Which trainer runs: dpo, simpo or sft. When absent: simpo if a SimPO-only key (gamma_beta_ratio, sft_weight) is set, dpo otherwise; the decision is printed as a notice. (The original launched its DPO configs through the SimPO script, spec §8.2; poet routes by method.)', { defaultText: 'decided (see text)' }),
  beta: f('trainer', 'float', 'β: scale of the implicit reward (DPO) / reward scale (SimPO).', { only: 'preference', defaultText: '0.1 (dpo) / 2.0 (simpo)' }),
  loss_type: f('trainer', 'string', 'DPO: sigmoid, hinge, ipo, exo_pair, nca_pair, robust, bco_pair, sppo_hard, aot, aot_pair. SimPO: sigmoid, hinge. (kto_pair is rejected, as in TRL 0.9.6.)', { only: 'preference' }),
  label_smoothing: f('trainer', 'float', 'ε of conservative DPO / robust / exo_pair and of SimPO\'s sigmoid loss; in [0, 1) (robust: < 0.5). Ignored by hinge, ipo and bco_pair (a notice says so).', { only: 'preference' }),
  use_poet: f('trainer', 'bool', 'POET: score only the first k = min(|chosen|, |rejected|) response tokens of both responses of each pair, for policy and reference (spec §1).', { only: 'preference' }),
  max_length: f('trainer', 'int', 'Maximum prompt + response tokens; longer pairs are truncated (spec §3.5).', { defaultText: '512 (dpo, simpo) / 1024 (sft), with a notice' }),
  max_prompt_length: f('trainer', 'int', 'Maximum prompt tokens kept when a pair is too long; must be < max_length.', { defaultText: '128, with a notice' }),
  max_completion_length: f('trainer', 'int', 'Cap on each response after the other truncations (added by POET).', { only: 'preference', defaultText: 'max_length (simpo) / 1000000 (dpo)' }),
  truncation_mode: f('trainer', 'string', 'keep_end: keep the last max_prompt_length prompt tokens (drops BOS, spec §8.8); keep_start: keep the first.'),
  label_pad_token_id: f('trainer', 'int', 'Label of unscored positions.'),
  padding_value: f('trainer', 'int', 'Pad token id for input ids; null = the tokenizer\'s pad id (or EOS). poet honours it for DPO too (TRL 0.9.6 ignored it, spec §8.11); it never changes the loss.'),
  disable_dropout: f('trainer', 'bool', 'Set every dropout probability to 0 (policy and reference).'),
  gamma_beta_ratio: f('trainer', 'float', 'SimPO target margin γ divided by β (γ = β · gamma_beta_ratio).', { only: 'simpo' }),
  sft_weight: f('trainer', 'float', 'SimPO: weight of an added token-mean NLL on the chosen responses (not POET-masked, spec §1.4).', { only: 'simpo' }),
  alpha: u('trainer', 'Declared in POET\'s SimPOConfig (default 2.0) but never used (spec §8.20).', 'float', { only: 'simpo' }),
  reference_free: f('trainer', 'bool', 'DPO: drop the reference terms from the loss (the reference still runs for the reward metrics).', { only: 'dpo' }),
  precompute_ref_log_probs: f('trainer', 'bool', 'DPO: compute reference log-probs once before training and reuse them (poet uses them always; TRL 0.9.6 only did with rpo_alpha, spec §8.10). Incompatible with sync_ref_model.', { only: 'dpo' }),
  sync_ref_model: f('trainer', 'bool', 'TR-DPO: every ref_model_sync_steps steps, θ_ref ← (1 − α)·θ_ref + α·θ_policy.', { only: 'dpo' }),
  ref_model_mixup_alpha: f('trainer', 'float', 'α of sync_ref_model (TRL\'s real default 0.9; its docstring says 1.0, spec §8.21).', { only: 'dpo' }),
  ref_model_sync_steps: f('trainer', 'int', 'Period of sync_ref_model in optimizer steps (real default 64).', { only: 'dpo' }),
  rpo_alpha: f('trainer', 'float', 'RPO: loss = rpo_alpha · DPO loss + NLL of the chosen responses (not POET-masked); null = off.', { only: 'dpo' }),
  f_divergence_type: f('trainer', 'string', 'reverse_kl (standard DPO), js_divergence or alpha_divergence (spec §2.2).', { only: 'dpo' }),
  f_alpha_divergence_coef: f('trainer', 'float', 'α of alpha_divergence.', { only: 'dpo' }),
  max_target_length: u('trainer', 'Encoder-decoder only.', 'int'),
  is_encoder_decoder: f('trainer', 'bool', 'Must be false or null: poet trains decoder-only models.'),
  generate_during_eval: u('trainer', 'Sample generations during evaluation (wandb only in the original).', 'bool'),
  dataset_num_proc: u('trainer', 'Tokenization processes in the original.', 'int'),
  model_init_kwargs: u('trainer', 'from_pretrained kwargs in the original.'),
  ref_model_init_kwargs: u('trainer', 'from_pretrained kwargs of the reference in the original.', 'any', { only: 'dpo' }),
  model_adapter_name: u('trainer', 'PEFT adapter name (no PEFT in poet).', 'string', { only: 'dpo' }),
  ref_adapter_name: u('trainer', 'PEFT adapter name (no PEFT in poet).', 'string', { only: 'dpo' }),
  force_use_ref_model: u('trainer', 'PEFT-only switch in TRL.', 'bool', { only: 'dpo' }),

  output_dir: f('training', 'string', 'Where checkpoints, metrics and the final model go. Required (as in HF). Need not exist.', { defaultText: 'required' }),
  run_name: f('training', 'string', 'Name shown in logs and metrics; null = output_dir.'),
  seed: f('training', 'int', 'Seed for model initialisation and the training sampler. (The dataset mixer\'s shuffle uses 42 always, as the original.)'),
  data_seed: f('training', 'int', 'Seed of the training sampler only; null = seed.'),
  learning_rate: f('training', 'float', 'Peak learning rate of AdamW (≥ 0).'),
  lr_scheduler_type: f('training', 'string', 'linear, cosine, constant or constant_with_warmup (HF semantics, spec §5).'),
  warmup_ratio: f('training', 'float', 'Warmup steps = ceil(warmup_ratio · total steps) unless warmup_steps > 0.'),
  warmup_steps: f('training', 'int', 'Explicit warmup steps; wins over warmup_ratio when > 0.'),
  num_train_epochs: f('training', 'float', 'Epochs to train (fractions allowed); ignored when max_steps > 0.'),
  max_steps: f('training', 'int', 'Total optimizer steps; -1 = derived from num_train_epochs.'),
  per_device_train_batch_size: f('training', 'int', 'Pairs per micro-batch (poet runs one process, so this is the micro-batch).'),
  per_device_eval_batch_size: f('training', 'int', 'Pairs per evaluation batch.'),
  gradient_accumulation_steps: f('training', 'int', 'Micro-batches per optimizer step; the loss is averaged over them.'),
  optim: f('training', 'string', 'Must be adamw_torch (AdamW, decoupled weight decay); anything else is rejected.'),
  weight_decay: f('training', 'float', 'AdamW weight decay (not applied to biases and norm weights, as HF).'),
  adam_beta1: f('training', 'float', 'AdamW β1.'),
  adam_beta2: f('training', 'float', 'AdamW β2.'),
  adam_epsilon: f('training', 'float', 'AdamW ε.'),
  max_grad_norm: f('training', 'float', 'Clip the global gradient norm to this value; 0 or null = no clipping.'),
  logging_steps: f('training', 'float', 'Log metrics every N optimizer steps (a value in (0, 1) is a ratio of the total steps, as HF).'),
  logging_first_step: f('training', 'bool', 'Also log after the first optimizer step.'),
  eval_strategy: f('training', 'string', 'no, steps (every eval_steps) or epoch. Anything but no also sets do_eval.'),
  evaluation_strategy: { group: 'training', kind: 'string', use: 'alias', doc: 'Deprecated HF name of eval_strategy (the original configs use it); mapped to eval_strategy with a notice. Setting both to different values is an error.' },
  eval_steps: f('training', 'float', 'Evaluate every N steps when eval_strategy is steps; null = logging_steps (HF).'),
  do_eval: f('training', 'bool', 'Evaluate on the test splits (also after training, as the original run script does).'),
  save_strategy: f('training', 'string', 'no, steps (every save_steps) or epoch: when checkpoints are written.'),
  save_steps: f('training', 'float', 'Checkpoint period when save_strategy is steps.'),
  save_total_limit: f('training', 'int', 'Keep at most this many checkpoint-* folders (oldest removed); null = all.'),
  resume_from_checkpoint: f('training', 'string_or_bool', 'null = resume from the last checkpoint-* in output_dir if there is one (the original run script\'s behaviour); a path = that checkpoint; true = the last one (error if none); false = start fresh.'),
  gradient_checkpointing: f('training', 'bool', 'Recompute activations in the backward pass to save memory, where the trainer supports it.'),
  group_by_length: f('training', 'bool', 'Batch pairs of similar length together (less padding), HF-style length-grouped sampling.'),
  bf16: f('training', 'bool', 'Accepted for the original\'s files: poet computes in fp32 on CPU; weights loaded as bf16/f16 are saved back in that dtype (see save_dtype). A notice says so.'),
  fp16: f('training', 'bool', 'As bf16.'),
  push_to_hub: f('training', 'bool', 'Must be false: poet does not upload.'),
  hub_model_id: u('training', 'Hub upload target.', 'string'),
  hub_strategy: u('training', 'Hub upload policy.', 'string'),
  hub_private_repo: u('training', 'Hub upload setting.', 'bool'),
  report_to: u('training', 'wandb etc. in the original; poet writes metrics as JSON lines in output_dir.', 'list'),
  log_level: u('training', 'Python logging level.', 'string'),
  logging_dir: u('training', 'TensorBoard folder.', 'string'),
  logging_strategy: u('training', 'poet logs every logging_steps.', 'string'),
  save_only_model: u('training', 'HF: skip optimizer state in checkpoints. poet decides what a checkpoint holds (see docs/training.md).', 'bool'),
  gradient_checkpointing_kwargs: u('training', 'use_reentrant etc.: PyTorch details.'),
  overwrite_output_dir: u('training', 'Not consulted (the original auto-resumes regardless).', 'bool'),
  do_train: u('training', 'poet train always trains.', 'bool'),
  do_predict: u('training', 'No prediction phase.', 'bool'),
  remove_unused_columns: u('training', 'Forced off by the original trainers.', 'bool'),
  dataloader_num_workers: u('training', 'PyTorch data loader workers.', 'int'),
  dataloader_drop_last: u('training', 'PyTorch data loader setting.', 'bool'),
  tf32: u('training', 'CUDA matmul precision.', 'bool'),
  ddp_timeout: u('training', 'Distributed setting.', 'int'),
  local_rank: u('training', 'Distributed setting.', 'int'),
  lr_scheduler_kwargs: u('training', 'Extra scheduler arguments (none of poet\'s schedules takes any).'),
  disable_tqdm: u('training', 'Progress bar switch.', 'bool'),

  backend: f('poet', 'string', 'Kernel backend: native (C++ addon; falls back to js with a message if it is not built) or js (plain TypeScript reference, slow).'),
  save_dtype: f('poet', 'string', 'dtype of saved weights: float32, bfloat16 or float16; null = the dtype the model was loaded in.'),
  skip_invalid_rows: f('poet', 'bool', 'Skip (and count) malformed dataset rows instead of stopping at the first one with an error.'),
  data_cache_dir: f('poet', 'string', 'Folder for the tokenized-dataset cache; null = the data pipeline\'s default (see docs/data.md).'),
};

export const FIELD_NAMES = Object.keys(fieldSchemas) as FieldName[];

export function isFieldName(key: string): key is FieldName {
  return Object.prototype.hasOwnProperty.call(fieldSchemas, key);
}
