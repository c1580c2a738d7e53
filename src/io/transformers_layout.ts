/**
 * A structural check that a folder is what transformers' `AutoModelForCausalLM.from_pretrained` and
 * `AutoTokenizer.from_pretrained` expect, without Python. It checks what those loaders actually read
 * (see docs/io.md, "What transformers needs"):
 *
 * - config.json: a JSON object with a supported `model_type`, `architectures` = [the family's
 *   *ForCausalLM class], every size key written explicitly, `torch_dtype` one of float32/bfloat16/float16,
 *   and a config poet itself can parse (consistent sizes, known activation, token ids in range).
 * - weights: `model.safetensors`, or `model.safetensors.index.json` whose weight_map names existing shard
 *   files and whose metadata.total_size equals the tensor bytes. Every file is a valid safetensors file
 *   whose `__metadata__.format` is "pt" (transformers raises OSError otherwise), holding exactly the
 *   parameters of the config with the right shapes, in F32/BF16/F16.
 * - generation_config.json: optional; if present, a JSON object.
 * - tokenizer (unless requireTokenizer=false): tokenizer.json (with a `model` object) and
 *   tokenizer_config.json, both JSON objects.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PoetError, PoetMultiError } from '../util/errors.ts';
import { parameterShapes, LM_HEAD_NAME } from '../models/params.ts';
import { ARCHITECTURE_BY_TYPE, parseHfConfig, SUPPORTED_MODEL_TYPES, TORCH_DTYPES } from './hf_config.ts';
import { FLOAT_ST_DTYPES, readSafetensorsHeader, type StHeader } from './safetensors.ts';
import { SINGLE_WEIGHTS_FILE, WEIGHTS_INDEX_FILE } from './shards.ts';
import type { ModelConfig, ModelType } from '../models/config.ts';

export interface LayoutReport {
  ok: boolean;
  problems: string[];
}

/** config.json keys transformers' classes need to rebuild the exact architecture. */
const REQUIRED_CONFIG_KEYS = [
  'model_type', 'architectures', 'vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers',
  'num_attention_heads', 'num_key_value_heads', 'max_position_embeddings', 'rms_norm_eps', 'rope_theta',
  'tie_word_embeddings', 'torch_dtype',
];
const REQUIRED_BY_FAMILY: Record<ModelType, string[]> = {
  llama: ['hidden_act'],
  mistral: ['hidden_act', 'sliding_window'],
  qwen2: ['hidden_act', 'use_sliding_window'],
  gemma2: ['hidden_activation', 'head_dim', 'query_pre_attn_scalar', 'sliding_window', 'attn_logit_softcapping', 'final_logit_softcapping'],
};

function readJsonObject(file: string, problems: string[]): Record<string, unknown> | null {
  const name = path.basename(file);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    problems.push(`${name}: missing`);
    return null;
  }
  try {
    const v = JSON.parse(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      problems.push(`${name}: not a JSON object`);
      return null;
    }
    return v as Record<string, unknown>;
  } catch (e) {
    problems.push(`${name}: invalid JSON (${(e as Error).message})`);
    return null;
  }
}

function errorLines(e: unknown): string[] {
  if (e instanceof PoetMultiError) return e.problems;
  if (e instanceof PoetError) return [e.message];
  throw e;
}

export function checkTransformersLayout(dir: string, opts: { requireTokenizer?: boolean } = {}): LayoutReport {
  const problems: string[] = [];
  const requireTokenizer = opts.requireTokenizer ?? true;
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    return { ok: false, problems: [`${dir}: not a folder`] };
  }

  // --- config.json
  let config: ModelConfig | null = null;
  const raw = readJsonObject(path.join(dir, 'config.json'), problems);
  if (raw !== null) {
    for (const k of REQUIRED_CONFIG_KEYS) if (raw[k] === undefined) problems.push(`config.json: key "${k}" is missing`);
    const mt = raw.model_type as ModelType;
    if (SUPPORTED_MODEL_TYPES.includes(mt)) {
      for (const k of REQUIRED_BY_FAMILY[mt]) if (raw[k] === undefined) problems.push(`config.json: key "${k}" is missing (${mt})`);
      const arch = raw.architectures;
      if (!Array.isArray(arch) || arch.length !== 1 || arch[0] !== ARCHITECTURE_BY_TYPE[mt]) {
        problems.push(`config.json: architectures should be ["${ARCHITECTURE_BY_TYPE[mt]}"], found ${JSON.stringify(arch)}`);
      }
    }
    if (raw.torch_dtype !== undefined && !TORCH_DTYPES.includes(raw.torch_dtype as ModelConfig['torch_dtype'])) {
      problems.push(`config.json: torch_dtype ${JSON.stringify(raw.torch_dtype)} is not one of ${TORCH_DTYPES.join(', ')}`);
    }
    try {
      config = parseHfConfig(raw, 'config.json');
    } catch (e) {
      for (const l of errorLines(e)) problems.push(l.startsWith('config.json') ? l : `config.json: ${l}`);
    }
  }

  // --- weights
  const headers: StHeader[] = [];
  const indexPath = path.join(dir, WEIGHTS_INDEX_FILE);
  let indexMap: Record<string, unknown> | null = null;
  let indexTotal: unknown = undefined;
  if (fs.existsSync(indexPath)) {
    const idx = readJsonObject(indexPath, problems);
    const wm = idx?.weight_map;
    if (idx !== null && (typeof wm !== 'object' || wm === null || Array.isArray(wm))) {
      problems.push(`${WEIGHTS_INDEX_FILE}: "weight_map" must be an object`);
    } else if (idx !== null) {
      indexMap = wm as Record<string, unknown>;
      indexTotal = (idx.metadata as Record<string, unknown> | undefined)?.total_size;
      const files = [...new Set(Object.values(indexMap))].sort();
      for (const f of files) {
        if (typeof f !== 'string' || !fs.existsSync(path.join(dir, f))) {
          problems.push(`${WEIGHTS_INDEX_FILE}: shard ${JSON.stringify(f)} does not exist`);
          continue;
        }
        try {
          headers.push(readSafetensorsHeader(path.join(dir, f)));
        } catch (e) {
          problems.push(...errorLines(e));
        }
      }
    }
  } else if (fs.existsSync(path.join(dir, SINGLE_WEIGHTS_FILE))) {
    try {
      headers.push(readSafetensorsHeader(path.join(dir, SINGLE_WEIGHTS_FILE)));
    } catch (e) {
      problems.push(...errorLines(e));
    }
  } else {
    problems.push(`no ${SINGLE_WEIGHTS_FILE} or ${WEIGHTS_INDEX_FILE}`);
  }

  let totalBytes = 0;
  const found = new Map<string, { shape: number[]; dtype: string; file: string }>();
  for (const h of headers) {
    const file = path.basename(h.path);
    if (h.metadata?.format !== 'pt') {
      problems.push(`${file}: __metadata__.format is ${JSON.stringify(h.metadata?.format)}, transformers needs "pt"`);
    }
    for (const [name, t] of h.tensors) {
      totalBytes += t.end - t.begin;
      if (found.has(name)) problems.push(`${file}: tensor ${name} also in ${found.get(name)!.file}`);
      found.set(name, { shape: t.shape, dtype: t.dtype, file });
      if (indexMap !== null && indexMap[name] !== file) problems.push(`${WEIGHTS_INDEX_FILE}: weight_map["${name}"] is ${JSON.stringify(indexMap[name])}, but the tensor is in ${file}`);
      if (!FLOAT_ST_DTYPES.includes(t.dtype)) problems.push(`${file}: tensor ${name} has dtype ${t.dtype}, expected F32, BF16 or F16`);
    }
  }
  if (indexMap !== null) {
    for (const name of Object.keys(indexMap)) if (!found.has(name)) problems.push(`${WEIGHTS_INDEX_FILE}: lists ${name}, which no shard contains`);
    if (headers.length > 0 && indexTotal !== totalBytes) {
      problems.push(`${WEIGHTS_INDEX_FILE}: metadata.total_size is ${JSON.stringify(indexTotal)}, the tensors hold ${totalBytes} bytes`);
    }
  }
  if (config !== null && headers.length > 0) {
    const expected = parameterShapes(config);
    for (const [name, shape] of expected) {
      const t = found.get(name);
      if (t === undefined) problems.push(`missing tensor ${name} ${JSON.stringify(shape)}`);
      else if (JSON.stringify(t.shape) !== JSON.stringify(shape)) {
        problems.push(`tensor ${name} in ${t.file}: shape ${JSON.stringify(t.shape)}, config needs ${JSON.stringify(shape)}`);
      }
    }
    for (const name of found.keys()) {
      if (!expected.has(name) && !(name === LM_HEAD_NAME && config.tie_word_embeddings)) problems.push(`unexpected tensor ${name} in ${found.get(name)!.file}`);
    }
  }

  // --- generation config and tokenizer
  if (fs.existsSync(path.join(dir, 'generation_config.json'))) readJsonObject(path.join(dir, 'generation_config.json'), problems);
  if (requireTokenizer) {
    const tok = readJsonObject(path.join(dir, 'tokenizer.json'), problems);
    if (tok !== null && (typeof tok.model !== 'object' || tok.model === null)) problems.push('tokenizer.json: no "model" object');
    readJsonObject(path.join(dir, 'tokenizer_config.json'), problems);
  }
  return { ok: problems.length === 0, problems };
}

/** checkTransformersLayout, throwing a PoetMultiError listing the problems. */
export function assertTransformersLayout(dir: string, opts: { requireTokenizer?: boolean } = {}): void {
  const r = checkTransformersLayout(dir, opts);
  if (!r.ok) throw new PoetMultiError(`${dir}: not a complete Hugging Face model folder`, r.problems);
}
