/**
 * Demo options: every size and budget of the demo (data sizes, steps, batch sizes, generation length, seeds).
 * These may be tuned to fit the time limit; the task's semantics (src/demo/task.ts TASK_SEMANTICS) may not.
 */
import type { ModelType } from '../models/config.ts';
import type { Preset } from '../io/init_model.ts';
import type { TaskSizes } from './task.ts';
import { PoetError } from '../util/errors.ts';

export const METHOD_NAMES = ['dpo', 'dpo-poet', 'simpo', 'simpo-poet'] as const;
export type MethodName = (typeof METHOD_NAMES)[number];

export interface TrainBudget {
  maxSteps: number;
  batchSize: number;
  gradientAccumulationSteps: number;
  learningRate: number;
  warmupRatio: number;
  loggingSteps: number;
  /** prompt + response tokens (bytes + template markers with the byte tokenizer) */
  maxLength: number;
}

export interface DemoOptions {
  outDir: string;
  /** one preference run per method and seed */
  seeds: number[];
  methods: MethodName[];
  task: TaskSizes & { seed: number };
  model: { arch: ModelType; preset: Preset; seed: number };
  sft: TrainBudget & { seed: number };
  pref: TrainBudget & { maxPromptLength: number };
  generation: { maxNewTokens: number; temperature: number };
  /** 'native' or 'js' (config key `backend`) */
  backend: 'native' | 'js';
}

/** Defaults sized for ~8 minutes on 2 CPU cores (docs/demo.md §4); to be re-measured once the engine is wired. */
export const DEFAULT_DEMO_OPTIONS: DemoOptions = {
  outDir: 'demo-out',
  seeds: [1, 2, 3],
  methods: [...METHOD_NAMES],
  task: { seed: 1234, sftTrain: 2400, sftTest: 64, prefTrain: 512, prefTest: 64, heldout: 64 },
  model: { arch: 'llama', preset: 'small', seed: 42 },
  sft: { seed: 42, maxSteps: 150, batchSize: 16, gradientAccumulationSteps: 1, learningRate: 1e-3, warmupRatio: 0.1, loggingSteps: 5, maxLength: 96 },
  pref: { maxSteps: 30, batchSize: 8, gradientAccumulationSteps: 1, learningRate: 1e-4, warmupRatio: 0.1, loggingSteps: 2, maxLength: 96, maxPromptLength: 48 },
  generation: { maxNewTokens: 48, temperature: 0 },
  backend: 'native',
};

export type DemoOptionsInput = {
  [K in keyof DemoOptions]?: DemoOptions[K] extends unknown[] ? DemoOptions[K] : DemoOptions[K] extends object ? Partial<DemoOptions[K]> : DemoOptions[K];
};

/** Defaults overlaid with the caller's values (one level deep), then checked. */
export function resolveDemoOptions(input: DemoOptionsInput = {}): DemoOptions {
  const d = DEFAULT_DEMO_OPTIONS;
  const o: DemoOptions = {
    outDir: input.outDir ?? d.outDir,
    seeds: input.seeds ?? [...d.seeds],
    methods: input.methods ?? [...d.methods],
    task: { ...d.task, ...input.task },
    model: { ...d.model, ...input.model },
    sft: { ...d.sft, ...input.sft },
    pref: { ...d.pref, ...input.pref },
    generation: { ...d.generation, ...input.generation },
    backend: input.backend ?? d.backend,
  };
  const problems: string[] = [];
  if (o.seeds.length === 0) problems.push('seeds: at least one seed is needed');
  if (new Set(o.seeds).size !== o.seeds.length) problems.push(`seeds: must be distinct, found ${o.seeds.join(', ')}`);
  for (const s of o.seeds) if (!Number.isSafeInteger(s) || s < 0) problems.push(`seeds: expected non-negative integers, found ${s}`);
  for (const m of o.methods) if (!(METHOD_NAMES as readonly string[]).includes(m)) problems.push(`methods: unknown method ${JSON.stringify(m)} (expected ${METHOD_NAMES.join(', ')})`);
  for (const [name, b] of [['sft', o.sft], ['pref', o.pref]] as const) {
    for (const k of ['maxSteps', 'batchSize', 'gradientAccumulationSteps', 'loggingSteps', 'maxLength'] as const) {
      if (!Number.isInteger(b[k]) || b[k] < 1) problems.push(`${name}.${k}: expected a positive integer, found ${b[k]}`);
    }
    if (!(b.learningRate >= 0)) problems.push(`${name}.learningRate: expected a number >= 0, found ${b.learningRate}`);
  }
  if (!(o.pref.maxPromptLength < o.pref.maxLength)) problems.push(`pref.maxPromptLength: must be < pref.maxLength (${o.pref.maxLength}), found ${o.pref.maxPromptLength}`);
  if (!Number.isInteger(o.generation.maxNewTokens) || o.generation.maxNewTokens < 1) problems.push(`generation.maxNewTokens: expected a positive integer, found ${o.generation.maxNewTokens}`);
  if (o.task.heldout < 2) problems.push(`task.heldout: at least 2 held-out prompts are needed, found ${o.task.heldout}`);
  if (o.task.sftTrain < 1 || o.task.prefTrain < 1) problems.push('task: sftTrain and prefTrain must be at least 1');
  if (problems.length > 0) throw new PoetError(`poet demo: invalid options:\n  ${problems.join('\n  ')}`);
  return o;
}
