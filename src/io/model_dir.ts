/**
 * Load and save a Hugging Face model folder (config.json + safetensors weights + generation config +
 * tokenizer files), the layout transformers' `from_pretrained` / `save_pretrained` use.
 *
 * Loading checks every tensor against models/params.ts before reading any data, then reads one file at
 * a time, one tensor at a time, widening bf16/f16 to fp32. Saving writes into a hidden sibling folder
 * and renames it into place at the end (./atomic.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PoetError, PoetMultiError } from '../util/errors.ts';
import type { ModelConfig } from '../models/config.ts';
import { LM_HEAD_NAME, EMBED_NAME, parameterShapes } from '../models/params.ts';
import { readHfConfig, toHfConfigJson } from './hf_config.ts';
import { FLOAT_ST_DTYPES, SafetensorsReader, numel, readSafetensorsHeader, type StDtype, type StTensorInfo, type TensorToWrite } from './safetensors.ts';
import { findWeightFiles, writeWeights, DEFAULT_MAX_SHARD_BYTES } from './shards.ts';
import { fsyncDir, writeDirAtomically, writeFileAtomically } from './atomic.ts';

export type WeightDtype = ModelConfig['torch_dtype'];

export const ST_DTYPE_OF: Readonly<Record<WeightDtype, StDtype>> = { float32: 'F32', bfloat16: 'BF16', float16: 'F16' };
export const WEIGHT_DTYPE_OF: Readonly<Partial<Record<StDtype, WeightDtype>>> = { F32: 'float32', BF16: 'bfloat16', F16: 'float16' };

/** Tokenizer files copied alongside a saved model when the source folder has them. */
export const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'tokenizer.model',
  'added_tokens.json',
  'chat_template.jinja',
] as const;

export interface LoadedModel {
  config: ModelConfig;
  /** HF tensor name → fp32 data (row-major, shapes as parameterShapes(config)), in HF order. */
  weights: Map<string, Float32Array>;
  /** The dtype the tensors were stored in (the majority by element count if mixed). */
  dtype: WeightDtype;
  dir: string;
  /** The original config.json object, to carry unmodelled keys over on save. */
  rawConfig: Record<string, unknown>;
}

/** Buffers of older Llama checkpoints that transformers ignores on load. */
const IGNORED_TENSOR = /^model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq$/;

const MAX_LISTED_PROBLEMS = 30;

function fmtShape(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

export interface LoadOptions {
  /** Progress: called after each tensor is read. */
  onTensor?: (name: string, done: number, total: number) => void;
}

export function loadModelDir(dir: string, opts: LoadOptions = {}): LoadedModel {
  const { config, raw } = readHfConfig(dir);
  const expected = parameterShapes(config);
  const weightFiles = findWeightFiles(dir);

  // 1. Headers only: locate every tensor and check names, shapes and dtypes before reading data.
  const problems: string[] = [];
  const location = new Map<string, { file: string; info: StTensorInfo }>();
  for (const file of weightFiles.files) {
    const header = readSafetensorsHeader(file);
    for (const [name, info] of header.tensors) {
      const base = path.basename(file);
      if (IGNORED_TENSOR.test(name)) continue;
      const prev = location.get(name);
      if (prev !== undefined) {
        problems.push(`tensor ${name} appears in both ${path.basename(prev.file)} and ${base}`);
        continue;
      }
      if (weightFiles.weightMap !== null && weightFiles.weightMap.get(name) !== file) {
        const listed = weightFiles.weightMap.get(name);
        problems.push(
          `tensor ${name} is stored in ${base} but the index ${listed === undefined ? 'does not list it' : `maps it to ${path.basename(listed)}`}`,
        );
        continue;
      }
      const isTiedHead = name === LM_HEAD_NAME && config.tie_word_embeddings;
      const shape = isTiedHead ? [config.vocab_size, config.hidden_size] : expected.get(name);
      if (shape === undefined) {
        problems.push(`unexpected tensor ${name} ${fmtShape(info.shape)} in ${base} (not a parameter of this ${config.model_type} config)`);
        continue;
      }
      if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
        problems.push(`tensor ${name} in ${base}: expected shape ${fmtShape(shape)}, found ${fmtShape(info.shape)}`);
      }
      if (!FLOAT_ST_DTYPES.includes(info.dtype)) {
        problems.push(`tensor ${name} in ${base}: dtype ${info.dtype} is not supported for weights (expected F32, BF16 or F16)`);
      }
      location.set(name, { file, info });
    }
  }
  if (weightFiles.weightMap !== null) {
    for (const [name, file] of weightFiles.weightMap) {
      if (!location.has(name) && !IGNORED_TENSOR.test(name) && !problems.some((p) => p.startsWith(`tensor ${name} `))) {
        problems.push(`tensor ${name} is listed in the index under ${path.basename(file)} but that file does not contain it`);
      }
    }
  }
  for (const [name, shape] of expected) {
    if (!location.has(name) && !(weightFiles.weightMap?.has(name) ?? false)) {
      problems.push(`missing tensor ${name}: expected shape ${fmtShape(shape)}, not found in ${weightFiles.files.map((f) => path.basename(f)).join(', ')}`);
    }
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_LISTED_PROBLEMS);
    if (problems.length > shown.length) shown.push(`... and ${problems.length - shown.length} more`);
    throw new PoetMultiError(`${dir}: the weights do not match config.json (${problems.length} problem${problems.length > 1 ? 's' : ''})`, shown);
  }

  // 2. Data: one file open at a time, tensors widened to fp32 one by one.
  const loaded = new Map<string, Float32Array>();
  const elemsByDtype = new Map<StDtype, number>();
  const total = location.size;
  let done = 0;
  for (const file of weightFiles.files) {
    const reader = SafetensorsReader.open(file);
    try {
      for (const [name, loc] of location) {
        if (loc.file !== file) continue;
        loaded.set(name, reader.readFloat32(name));
        elemsByDtype.set(loc.info.dtype, (elemsByDtype.get(loc.info.dtype) ?? 0) + numel(loc.info.shape));
        done += 1;
        opts.onTensor?.(name, done, total);
      }
    } finally {
      reader.close();
    }
  }

  // 3. A tied checkpoint may still carry lm_head.weight (some savers write it); accept it only if it
  //    is the embedding, since transformers would silently replace it by the embedding.
  const head = loaded.get(LM_HEAD_NAME);
  if (config.tie_word_embeddings && head !== undefined) {
    const embed = loaded.get(EMBED_NAME)!;
    const a = new Uint32Array(head.buffer, head.byteOffset, head.length);
    const b = new Uint32Array(embed.buffer, embed.byteOffset, embed.length);
    const at = a.findIndex((v, i) => v !== b[i]);
    if (at !== -1) {
      throw new PoetError(
        `${dir}: config.json has tie_word_embeddings=true but ${LM_HEAD_NAME} differs from ${EMBED_NAME} (first at element ${at}); set tie_word_embeddings to false to use a separate head`,
      );
    }
    loaded.delete(LM_HEAD_NAME);
  }

  const weights = new Map<string, Float32Array>();
  for (const name of expected.keys()) weights.set(name, loaded.get(name)!);
  let dtype: WeightDtype = 'float32';
  let most = -1;
  for (const [d, n] of elemsByDtype) {
    if (n > most) {
      most = n;
      dtype = WEIGHT_DTYPE_OF[d]!;
    }
  }
  return { config: { ...config, torch_dtype: dtype }, weights, dtype, dir, rawConfig: raw };
}

export interface SaveModelOptions {
  /** Storage dtype; default: the model's `dtype` (as loaded), else config.torch_dtype. */
  saveDtype?: WeightDtype;
  /** Shard when the weights exceed this many bytes (default 5 GB, as transformers). */
  maxShardBytes?: number;
  /** Folder to copy tokenizer files and generation_config.json keys from; default: the model's `dir`. */
  sourceDir?: string | null;
  /** Original config.json object whose unmodelled keys are kept; default: the model's `rawConfig`. */
  baseConfig?: Record<string, unknown>;
  /** Called after each file is complete inside the (still hidden) output folder. */
  onFileWritten?: (file: string) => void;
}

export interface SavedModel {
  dir: string;
  files: string[];
  dtype: WeightDtype;
  totalSize: number;
  sharded: boolean;
}

export interface ModelToSave {
  config: ModelConfig;
  weights: Map<string, Float32Array>;
  dtype?: WeightDtype;
  dir?: string;
  rawConfig?: Record<string, unknown>;
}

function readJsonIfPresent(file: string): Record<string, unknown> | null {
  if (!fs.existsSync(file)) return null;
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : null;
  } catch (e) {
    throw new PoetError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
}

/** generation_config.json as transformers derives it from the model config. */
export function generationConfigJson(cfg: ModelConfig, base: Record<string, unknown> | null = null): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(base ?? { _from_model_config: true }) };
  out.bos_token_id = cfg.bos_token_id;
  out.eos_token_id = Array.isArray(cfg.eos_token_id) ? [...cfg.eos_token_id] : cfg.eos_token_id;
  if (cfg.pad_token_id !== null) out.pad_token_id = cfg.pad_token_id;
  else delete out.pad_token_id;
  if (cfg.model_type === 'gemma2' && out.cache_implementation === undefined) out.cache_implementation = 'hybrid';
  return out;
}

/**
 * Save a model folder that transformers can load, atomically (see atomic.ts). Weights are checked against
 * the config first (missing / unexpected / wrong size → PoetError); a tied model's lm_head is not written.
 */
export function saveModelDir(dir: string, model: ModelToSave, opts: SaveModelOptions = {}): SavedModel {
  const plan = planModelFiles(dir, model, opts);
  return writeDirAtomically(dir, (tmp) => ({ ...writePlannedFiles(tmp, plan, opts), dir: path.resolve(dir) }));
}

/**
 * Write the model files into an existing folder `dir` (not atomic by itself): for writers that provide
 * their own atomicity, e.g. a training checkpoint written inside writeDirAtomically.
 */
export function writeModelFiles(dir: string, model: ModelToSave, opts: SaveModelOptions = {}): SavedModel {
  return writePlannedFiles(dir, planModelFiles(dir, model, opts), opts);
}

/**
 * Publish a model's files directly inside `dir`, next to other content (a training output_dir holds
 * checkpoints and logs beside the final model, as HF's Trainer leaves it). The files are first written
 * completely into a hidden folder inside `dir`; then the previous config.json is removed (so a reader never
 * sees an old config with new weights), the files are moved in, and config.json is moved last: a folder
 * whose config.json is present has a complete model.
 */
export function writeModelFilesInto(dir: string, model: ModelToSave, opts: SaveModelOptions = {}): SavedModel {
  fs.mkdirSync(dir, { recursive: true });
  const stage = path.join(dir, '.final-model');
  const saved = saveModelDir(stage, model, opts);
  fs.rmSync(path.join(dir, 'config.json'), { force: true });
  for (const f of ['model.safetensors', 'model.safetensors.index.json']) fs.rmSync(path.join(dir, f), { force: true });
  for (const f of fs.readdirSync(dir)) if (/^model-\d+-of-\d+\.safetensors$/.test(f)) fs.rmSync(path.join(dir, f), { force: true });
  const files = saved.files.filter((f) => f !== 'config.json');
  for (const f of [...files, 'config.json']) fs.renameSync(path.join(stage, f), path.join(dir, f));
  fsyncDir(dir);
  fs.rmSync(stage, { recursive: true, force: true });
  return { ...saved, dir: path.resolve(dir) };
}

interface ModelFilePlan {
  tensors: [string, TensorToWrite][];
  savedCfg: ModelConfig;
  saveDtype: WeightDtype;
  sourceDir: string | null;
  baseConfig: Record<string, unknown>;
}

function planModelFiles(dir: string, model: ModelToSave, opts: SaveModelOptions): ModelFilePlan {
  const cfg = model.config;
  const saveDtype: WeightDtype = opts.saveDtype ?? model.dtype ?? cfg.torch_dtype;
  if (ST_DTYPE_OF[saveDtype] === undefined) {
    throw new PoetError(`save_dtype: expected float32, bfloat16 or float16, found ${JSON.stringify(saveDtype)}`);
  }
  const expected = parameterShapes(cfg);
  const problems: string[] = [];
  const tensors: [string, TensorToWrite][] = [];
  for (const [name, shape] of expected) {
    const data = model.weights.get(name);
    if (data === undefined) {
      problems.push(`missing tensor ${name} ${fmtShape(shape)}`);
      continue;
    }
    if (data.length !== numel(shape)) {
      problems.push(`tensor ${name}: shape ${fmtShape(shape)} needs ${numel(shape)} values, found ${data.length}`);
      continue;
    }
    tensors.push([name, { dtype: ST_DTYPE_OF[saveDtype], shape, data }]);
  }
  for (const name of model.weights.keys()) {
    if (!expected.has(name) && !(name === LM_HEAD_NAME && cfg.tie_word_embeddings)) problems.push(`unexpected tensor ${name}`);
  }
  if (problems.length > 0) {
    throw new PoetMultiError(`${dir}: cannot save: the weights do not match the ${cfg.model_type} config`, problems.slice(0, MAX_LISTED_PROBLEMS));
  }
  return {
    tensors,
    savedCfg: { ...cfg, torch_dtype: saveDtype },
    saveDtype,
    sourceDir: opts.sourceDir === undefined ? (model.dir ?? null) : opts.sourceDir,
    baseConfig: opts.baseConfig ?? model.rawConfig ?? {},
  };
}

function writePlannedFiles(dir: string, plan: ModelFilePlan, opts: SaveModelOptions): SavedModel {
  const { sourceDir, savedCfg } = plan;
  const written = writeWeights(dir, plan.tensors, {
    maxShardBytes: opts.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES,
    onFileWritten: opts.onFileWritten,
  });
  const files = [...written.files];
  const writeJson = (file: string, obj: unknown): void => {
    writeFileAtomically(path.join(dir, file), `${JSON.stringify(obj, null, 2)}\n`);
    files.push(file);
    opts.onFileWritten?.(file);
  };
  writeJson('config.json', toHfConfigJson(savedCfg, plan.baseConfig));
  const genBase = sourceDir !== null ? readJsonIfPresent(path.join(sourceDir, 'generation_config.json')) : null;
  writeJson('generation_config.json', generationConfigJson(savedCfg, genBase));
  if (sourceDir !== null && path.resolve(sourceDir) !== path.resolve(dir)) {
    for (const file of TOKENIZER_FILES) {
      const src = path.join(sourceDir, file);
      if (fs.existsSync(src)) {
        fs.copyFileSync(src, path.join(dir, file));
        files.push(file);
        opts.onFileWritten?.(file);
      }
    }
  }
  return { dir: path.resolve(dir), files, dtype: plan.saveDtype, totalSize: written.totalSize, sharded: written.sharded };
}
