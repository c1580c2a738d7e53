/**
 * Training checkpoints `<output_dir>/checkpoint-<step>/`, written atomically (temp folder + rename, see
 * src/io/atomic.ts): a killed run never leaves a checkpoint that looks complete but is not.
 *
 * Contents (HF-like, plus what exact resumption needs):
 *   config.json, model.safetensors, generation_config.json, tokenizer files   the policy (always fp32, so
 *                                                     that a resumed run continues bit-exactly)
 *   optimizer.safetensors     AdamW moments: `exp_avg.<param>`, `exp_avg_sq.<param>` (F32)
 *   reference.safetensors     the reference weights, only with sync_ref_model (they change during training)
 *   trainer_state.json        HF's shape: global_step, epoch, max_steps, log_history, …
 *   poet_state.json           optimizer step, loss state (bco_pair running moments), the partial logging
 *                             window (metric store, loss sum), the data position
 *   training_args.json        the resolved config
 * (The original's `save_only_model: true` would drop optimizer state and make resumption impossible;
 * poet always writes it — docs/training.md.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeDirAtomically } from '../io/atomic.ts';
import { writeModelFiles, type ModelToSave } from '../io/model_dir.ts';
import { readSafetensors, writeSafetensors, type TensorToWrite } from '../io/safetensors.ts';
import { PoetError } from '../util/errors.ts';
import type { OptimizerState } from './optimizer.ts';

export const CHECKPOINT_PREFIX = 'checkpoint-';

export interface CheckpointPayload<S, T> {
  model: ModelToSave;
  optimizer: OptimizerState;
  reference: Map<string, Float32Array> | null;
  trainerState: T;
  poetState: S;
  trainingArgs: unknown;
}

/** Pretty-printed JSON file (training outputs and checkpoint state). */
export function writeJson(file: string, obj: unknown): void {
  fs.writeFileSync(file, JSON.stringify(obj, null, 2) + '\n');
}

function tensorsToWrite(prefix: string, m: Map<string, Float32Array>): [string, TensorToWrite][] {
  return [...m].map(([k, data]) => [prefix + k, { dtype: 'F32', shape: [data.length], data }]);
}

export function saveCheckpoint<S, T>(outputDir: string, step: number, p: CheckpointPayload<S, T>): string {
  const dir = path.join(outputDir, `${CHECKPOINT_PREFIX}${step}`);
  writeDirAtomically(dir, (tmp) => {
    writeModelFiles(tmp, p.model, { saveDtype: 'float32' });
    writeSafetensors(path.join(tmp, 'optimizer.safetensors'), [
      ...tensorsToWrite('exp_avg.', p.optimizer.m),
      ...tensorsToWrite('exp_avg_sq.', p.optimizer.v),
    ]);
    if (p.reference) writeSafetensors(path.join(tmp, 'reference.safetensors'), tensorsToWrite('', p.reference));
    writeJson(path.join(tmp, 'trainer_state.json'), p.trainerState);
    writeJson(path.join(tmp, 'training_args.json'), p.trainingArgs);
    // Written last: a checkpoint without poet_state.json is not resumable and is ignored.
    writeJson(path.join(tmp, 'poet_state.json'), { optimizer_step: p.optimizer.step, ...p.poetState });
  });
  return dir;
}

/** Complete checkpoints under outputDir, oldest first (by step). */
export function listCheckpoints(outputDir: string): { step: number; dir: string }[] {
  if (!fs.existsSync(outputDir)) return [];
  return fs
    .readdirSync(outputDir)
    .map((n) => /^checkpoint-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ step: Number(m[1]), dir: path.join(outputDir, m[0]) }))
    .filter((c) => fs.existsSync(path.join(c.dir, 'poet_state.json')))
    .sort((a, b) => a.step - b.step);
}

/** HF `save_total_limit`: delete the oldest checkpoints beyond the limit. */
export function rotateCheckpoints(outputDir: string, limit: number | null): string[] {
  if (limit === null || limit <= 0) return [];
  const all = listCheckpoints(outputDir);
  const removed: string[] = [];
  for (const c of all.slice(0, Math.max(0, all.length - limit))) {
    fs.rmSync(c.dir, { recursive: true, force: true });
    removed.push(c.dir);
  }
  return removed;
}

export interface LoadedCheckpoint<S, T> {
  dir: string;
  optimizerM: Map<string, Float32Array>;
  optimizerV: Map<string, Float32Array>;
  reference: Map<string, Float32Array> | null;
  trainerState: T;
  poetState: S & { optimizer_step: number };
}

function readJson<X>(file: string): X {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as X;
  } catch (e) {
    throw new PoetError(`${file}: cannot read checkpoint state (${(e as Error).message})`);
  }
}

export function loadCheckpointState<S, T>(dir: string): LoadedCheckpoint<S, T> {
  if (!fs.existsSync(path.join(dir, 'poet_state.json'))) {
    throw new PoetError(`${dir}: not a complete poet checkpoint (poet_state.json is missing)`);
  }
  const opt = readSafetensors(path.join(dir, 'optimizer.safetensors')).tensors;
  const m = new Map<string, Float32Array>();
  const v = new Map<string, Float32Array>();
  for (const [k, t] of opt) {
    const data = t.data as Float32Array;
    if (k.startsWith('exp_avg_sq.')) v.set(k.slice('exp_avg_sq.'.length), data);
    else if (k.startsWith('exp_avg.')) m.set(k.slice('exp_avg.'.length), data);
  }
  let reference: Map<string, Float32Array> | null = null;
  const refFile = path.join(dir, 'reference.safetensors');
  if (fs.existsSync(refFile)) {
    reference = new Map([...readSafetensors(refFile).tensors].map(([k, t]) => [k, t.data as Float32Array]));
  }
  return {
    dir,
    optimizerM: m,
    optimizerV: v,
    reference,
    trainerState: readJson<T>(path.join(dir, 'trainer_state.json')),
    poetState: readJson<S & { optimizer_step: number }>(path.join(dir, 'poet_state.json')),
  };
}
