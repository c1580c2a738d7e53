/**
 * The embedded offline demo (`npm start` = `poet demo`, docs/demo.md). `runDemo` is what the CLI command calls.
 */
import { engine as realEngine, type DemoEngine } from './engine.ts';
import { resolveDemoOptions, type DemoOptionsInput } from './options.ts';
import { runPipeline, type DemoResult } from './pipeline.ts';

export interface RunDemoOptions extends DemoOptionsInput {
  /** the training engine; default: poet's own (src/demo/engine.ts) */
  engine?: DemoEngine;
  /** progress lines; default: stdout */
  log?: (line: string) => void;
}

export async function runDemo(opts: RunDemoOptions = {}): Promise<DemoResult> {
  const { engine, log, ...rest } = opts;
  const o = resolveDemoOptions(rest);
  return runPipeline(o, engine ?? realEngine, log ?? ((line) => process.stdout.write(`${line}\n`)));
}

export { engine } from './engine.ts';
export type { DemoEngine, GenerateOptions, InitModelRequest, TrainLogEntry } from './engine.ts';
export { DEFAULT_DEMO_OPTIONS, METHOD_NAMES, resolveDemoOptions } from './options.ts';
export type { DemoOptions, DemoOptionsInput, MethodName } from './options.ts';
export type { DemoResult } from './pipeline.ts';
export { RuleJudge } from './judge.ts';
export { reward } from './reward.ts';
export { generateTask, writeTask } from './task.ts';
