/**
 * A fake DemoEngine for the pipeline tests: no model, instant. It records every call, writes a model marker
 * file and a metrics.jsonl like the trainer's, and "generates" from a rule keyed by the model folder: the SFT
 * model copies the word (the lazy opening), trained models answer correctly with filler whose length grows
 * with the method's name. Deterministic.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DemoEngine, TrainLogEntry } from '../../src/demo/engine.ts';
import { answer, parsePrompt } from '../../src/demo/task.ts';

export interface FakeCall {
  kind: 'initModel' | 'train' | 'generate';
  dir: string;
  config?: Record<string, unknown>;
}

export function fakeEngine(opts: { failTrainOn?: string } = {}): DemoEngine & { calls: FakeCall[] } {
  const calls: FakeCall[] = [];
  return {
    calls,
    async initModel(req) {
      calls.push({ kind: 'initModel', dir: req.outDir });
      mkdirSync(req.outDir, { recursive: true });
      writeFileSync(join(req.outDir, 'config.json'), JSON.stringify({ fake: true, seed: req.seed }));
    },
    async train(config, outDir, onLog) {
      calls.push({ kind: 'train', dir: outDir, config });
      if (opts.failTrainOn && outDir.includes(opts.failTrainOn)) throw new Error(`fake failure in ${outDir}`);
      mkdirSync(outDir, { recursive: true });
      writeFileSync(join(outDir, 'config.json'), JSON.stringify({ fake: true, from: config.model_name_or_path }));
      const steps = Number(config.max_steps);
      const every = Number(config.logging_steps);
      const poet = config.use_poet === true ? 1 : 0;
      const seed = Number(config.seed);
      for (let step = every; step <= steps; step += every) {
        const e: TrainLogEntry = { step, loss: 0.69 * Math.exp(-step / (8 + poet + seed)), learning_rate: 1e-4, epoch: step / steps };
        if (config.trainer_type !== 'sft') {
          e['rewards/margins'] = step * 0.05 * (1 + poet);
          e['rewards/accuracies'] = Math.min(1, 0.5 + step * 0.03);
        }
        appendFileSync(join(outDir, 'metrics.jsonl'), JSON.stringify(e) + '\n');
        onLog?.(e);
      }
    },
    async generate(modelDir, instructions, gen) {
      calls.push({ kind: 'generate', dir: modelDir });
      const isSft = modelDir.includes(`${join('sft', 'run')}`);
      return instructions.map((ins, i) => {
        const { op, word } = parsePrompt(ins);
        if (isSft) return i % 4 === 0 ? '' : `${word}. Done.`;
        const right = (i + gen.seed) % 5 !== 0;
        const extra = modelDir.includes('poet') ? '' : ' Any time.';
        return `${right ? answer(op, word) : word}. Done.${extra}`;
      });
    },
  };
}
