/**
 * The narrow interface through which the demo drives the training engine (docs/demo.md §3). The demo builds
 * configs and folders; the engine trains and generates. `engine` is poet's own init-model, trainer and
 * generator; tests substitute a fake engine.
 */
import { initModel } from '../io/init_model.ts';
import type { ModelType } from '../models/config.ts';
import type { Preset } from '../io/init_model.ts';
import type { TokenizerKind } from '../tokenizer/build.ts';
import { resolveTrainingConfig } from '../config/index.ts';
import { generateOutputs } from '../eval/generate_outputs.ts';
import { train } from '../train/trainer.ts';

export interface InitModelRequest {
  /** folder to create (must not exist or be empty) */
  outDir: string;
  arch: ModelType;
  preset: Preset;
  tokenizer: TokenizerKind;
  seed: number;
}

/** One line of a run's metrics.jsonl (step, loss, rewards/margins, …). */
export type TrainLogEntry = Record<string, number>;

export interface GenerateOptions {
  maxNewTokens: number;
  /** 0 = greedy */
  temperature: number;
  seed: number;
}

export interface DemoEngine {
  initModel(req: InitModelRequest): Promise<void>;
  /**
   * Train with a plain config object (the original's keys; `output_dir === outDir`). Must leave the final model
   * (Hugging Face folder) in `outDir` and every log line in `outDir/metrics.jsonl`; `onLog` sees each line.
   */
  train(config: Record<string, unknown>, outDir: string, onLog?: (entry: TrainLogEntry) => void): Promise<void>;
  /**
   * Apply the model's chat template (with the generation prompt) to each instruction, decode, and return the
   * responses (special tokens skipped), one per instruction, in order.
   */
  generate(modelDir: string, instructions: string[], opts: GenerateOptions): Promise<string[]>;
}

/** The real engine: poet's own init-model, trainer and generator. */
export const engine: DemoEngine = {
  async initModel(req) {
    await initModel({ arch: req.arch, preset: req.preset, tokenizer: req.tokenizer, out: req.outDir, seed: req.seed, force: true });
  },
  async train(config, outDir, onLog) {
    const { config: cfg, notices } = resolveTrainingConfig({ ...config, output_dir: outDir }, `demo config for ${outDir}`);
    await train(cfg, { notices, onLog, silentProgress: true, log: () => {} });
  },
  async generate(modelDir, instructions, opts) {
    const outputs = await generateOutputs({
      modelDir,
      prompts: instructions.map((instruction) => ({ instruction })),
      maxNewTokens: opts.maxNewTokens,
      temperature: opts.temperature,
      topP: 1,
      topK: 0,
      stopTokenIds: [],
      stopStrings: [],
      seed: opts.seed,
      batchSize: 16,
      quiet: true,
    });
    return outputs.map((o) => o.output);
  },
};
