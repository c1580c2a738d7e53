/**
 * Hugging Face `config.json` ↔ poet's ModelConfig, for model_type llama, mistral, qwen2 and gemma2.
 *
 * Absent keys take the defaults of transformers' configuration classes (LlamaConfig, MistralConfig,
 * Qwen2Config, Gemma2Config), so a config that transformers accepts means the same model here.
 * Family differences worth knowing:
 * - head_dim: llama/mistral/qwen2 default hidden_size / num_attention_heads; gemma2 defaults to 256.
 * - num_key_value_heads defaults to num_attention_heads (mistral: 8, gemma2: 4, as in HF).
 * - gemma2 reads its activation from `hidden_activation` (its `hidden_act` key is ignored by HF too).
 * - qwen2: sliding window only when `use_sliding_window`, and then on layers ≥ `max_window_layers`.
 *   poet's ModelConfig has one window for all layers, so only max_window_layers = 0 (all layers) or
 *   ≥ num_hidden_layers (no layer) can be represented; anything in between is refused.
 * - tie_word_embeddings defaults: false for llama, mistral, qwen2; true for gemma2.
 * - rope_scaling: none or the Llama-3 scheme (`rope_type`/`type` = "llama3"); others are refused.
 * Keys poet does not model (dropout, pretraining_tp, transformers_version, ...) are ignored on read and
 * carried over on write when the original JSON is passed as `base`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PoetError, PoetMultiError } from '../util/errors.ts';
import type { ModelConfig, ModelType, RopeScaling } from '../models/config.ts';

export const SUPPORTED_MODEL_TYPES: readonly ModelType[] = ['llama', 'mistral', 'qwen2', 'gemma2'];

/** transformers class name written to `architectures`. */
export const ARCHITECTURE_BY_TYPE: Readonly<Record<ModelType, string>> = {
  llama: 'LlamaForCausalLM',
  mistral: 'MistralForCausalLM',
  qwen2: 'Qwen2ForCausalLM',
  gemma2: 'Gemma2ForCausalLM',
};

export const SUPPORTED_ACTIVATIONS: readonly ModelConfig['hidden_act'][] = ['silu', 'gelu_pytorch_tanh'];
export const TORCH_DTYPES: readonly ModelConfig['torch_dtype'][] = ['float32', 'bfloat16', 'float16'];

type Json = Record<string, unknown>;

/** transformers' defaults per family for the keys that have one (head_dim handled separately). */
const FAMILY_DEFAULTS: Record<ModelType, Json> = {
  llama: {
    vocab_size: 32000, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32,
    max_position_embeddings: 2048, rms_norm_eps: 1e-6, rope_theta: 10000.0, hidden_act: 'silu',
    tie_word_embeddings: false, attention_bias: false, mlp_bias: false, initializer_range: 0.02,
    bos_token_id: 1, eos_token_id: 2, pad_token_id: null,
  },
  mistral: {
    vocab_size: 32000, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, num_attention_heads: 32,
    num_key_value_heads: 8, max_position_embeddings: 4096 * 32, rms_norm_eps: 1e-6, rope_theta: 10000.0,
    hidden_act: 'silu', tie_word_embeddings: false, sliding_window: 4096, initializer_range: 0.02,
    bos_token_id: 1, eos_token_id: 2, pad_token_id: null,
  },
  qwen2: {
    vocab_size: 151936, hidden_size: 4096, intermediate_size: 22016, num_hidden_layers: 32, num_attention_heads: 32,
    num_key_value_heads: 32, max_position_embeddings: 32768, rms_norm_eps: 1e-6, rope_theta: 10000.0,
    hidden_act: 'silu', tie_word_embeddings: false, use_sliding_window: false, sliding_window: 4096,
    max_window_layers: 28, initializer_range: 0.02, bos_token_id: null, eos_token_id: null, pad_token_id: null,
  },
  gemma2: {
    vocab_size: 256000, hidden_size: 2304, intermediate_size: 9216, num_hidden_layers: 26, num_attention_heads: 8,
    num_key_value_heads: 4, head_dim: 256, max_position_embeddings: 8192, rms_norm_eps: 1e-6, rope_theta: 10000.0,
    hidden_activation: 'gelu_pytorch_tanh', tie_word_embeddings: true, attention_bias: false, initializer_range: 0.02,
    query_pre_attn_scalar: 256, sliding_window: 4096, final_logit_softcapping: 30.0, attn_logit_softcapping: 50.0,
    bos_token_id: 2, eos_token_id: 1, pad_token_id: 0,
  },
};

/** Collects problems so one pass reports everything wrong with a config. */
class Fields {
  readonly problems: string[] = [];
  constructor(
    private readonly raw: Json,
    private readonly defaults: Json,
  ) {}

  has(key: string): boolean {
    return this.raw[key] !== undefined;
  }

  value(key: string): unknown {
    return this.raw[key] !== undefined ? this.raw[key] : this.defaults[key];
  }

  problem(key: string, msg: string): void {
    this.problems.push(`${key}: ${msg}`);
  }

  posInt(key: string, fallback?: number): number {
    const v = this.raw[key] !== undefined && this.raw[key] !== null ? this.raw[key] : (this.defaults[key] ?? fallback);
    if (!Number.isSafeInteger(v) || (v as number) < 1) {
      this.problem(key, `expected a positive integer, found ${show(v)}`);
      return 1;
    }
    return v as number;
  }

  posNumber(key: string): number {
    const v = this.value(key);
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      this.problem(key, `expected a positive number, found ${show(v)}`);
      return 1;
    }
    return v;
  }

  nonNegNumber(key: string): number {
    const v = this.value(key);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      this.problem(key, `expected a non-negative number, found ${show(v)}`);
      return 0;
    }
    return v;
  }

  bool(key: string): boolean {
    const v = this.value(key) ?? false;
    if (typeof v !== 'boolean') {
      this.problem(key, `expected true or false, found ${show(v)}`);
      return false;
    }
    return v;
  }

  /** A positive number or null (null / absent-with-null-default = off). */
  optPosNumber(key: string, integer: boolean): number | null {
    const v = this.value(key);
    if (v === null || v === undefined) return null;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isSafeInteger(v))) {
      this.problem(key, `expected ${integer ? 'a positive integer' : 'a positive number'} or null, found ${show(v)}`);
      return null;
    }
    return v;
  }

  tokenId(key: string, vocab: number): number | null {
    const v = this.value(key);
    if (v === null || v === undefined) return null;
    if (!Number.isSafeInteger(v)) {
      this.problem(key, `expected an integer token id or null, found ${show(v)}`);
      return null;
    }
    // Some old configs use -1 for "no pad token".
    if ((v as number) < 0 && key === 'pad_token_id') return null;
    if ((v as number) < 0 || (v as number) >= vocab) {
      this.problem(key, `token id ${show(v)} is outside the vocabulary [0, ${vocab})`);
      return null;
    }
    return v as number;
  }
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing (key absent)';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function parseRopeScaling(f: Fields): RopeScaling | null {
  const v = f.value('rope_scaling');
  if (v === null || v === undefined) return null;
  if (typeof v !== 'object' || Array.isArray(v)) {
    f.problem('rope_scaling', `expected an object or null, found ${show(v)}`);
    return null;
  }
  const r = v as Json;
  const type = r.rope_type ?? r.type;
  if (type === 'default') return null;
  if (type !== 'llama3') {
    f.problem('rope_scaling', `rope type ${show(type)} is not supported (supported: "llama3", or no rope_scaling)`);
    return null;
  }
  const num = (k: string): number => {
    const x = r[k];
    if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0) {
      f.problem(`rope_scaling.${k}`, `expected a positive number, found ${show(x)}`);
      return 1;
    }
    return x;
  };
  const scaling: RopeScaling = {
    rope_type: 'llama3',
    factor: num('factor'),
    low_freq_factor: num('low_freq_factor'),
    high_freq_factor: num('high_freq_factor'),
    original_max_position_embeddings: num('original_max_position_embeddings'),
  };
  if (scaling.high_freq_factor <= scaling.low_freq_factor) {
    f.problem('rope_scaling', `high_freq_factor (${scaling.high_freq_factor}) must exceed low_freq_factor (${scaling.low_freq_factor})`);
  }
  return scaling;
}

/**
 * Parse a config.json object. `source` names the file in error messages.
 * Throws PoetMultiError listing every problem found.
 */
export function parseHfConfig(raw: unknown, source = 'config.json'): ModelConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new PoetError(`${source}: expected a JSON object`);
  }
  const json = raw as Json;
  const mt = json.model_type;
  if (!SUPPORTED_MODEL_TYPES.includes(mt as ModelType)) {
    throw new PoetError(
      `${source}: model_type ${show(mt)} is not supported (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})`,
    );
  }
  const modelType = mt as ModelType;
  const f = new Fields(json, FAMILY_DEFAULTS[modelType]);

  const vocab = f.posInt('vocab_size');
  const hidden = f.posInt('hidden_size');
  const intermediate = f.posInt('intermediate_size');
  const layers = f.posInt('num_hidden_layers');
  const heads = f.posInt('num_attention_heads');
  const kvHeads = f.posInt('num_key_value_heads', heads);
  if (heads % kvHeads !== 0) {
    f.problem('num_key_value_heads', `num_attention_heads (${heads}) must be a multiple of num_key_value_heads (${kvHeads})`);
  }
  let headDim: number;
  if (f.value('head_dim') !== undefined && f.value('head_dim') !== null) {
    headDim = f.posInt('head_dim');
  } else {
    if (hidden % heads !== 0) {
      f.problem('head_dim', `absent, and hidden_size (${hidden}) is not divisible by num_attention_heads (${heads})`);
    }
    headDim = Math.floor(hidden / heads);
  }
  if (headDim % 2 !== 0) f.problem('head_dim', `rotary embeddings need an even head_dim, found ${headDim}`);

  const actKey = modelType === 'gemma2' ? 'hidden_activation' : 'hidden_act';
  const act = f.value(actKey) ?? 'silu';
  if (!SUPPORTED_ACTIVATIONS.includes(act as ModelConfig['hidden_act'])) {
    f.problem(actKey, `activation ${show(act)} is not supported (supported: ${SUPPORTED_ACTIVATIONS.join(', ')})`);
  }

  let slidingWindow: number | null = null;
  if (modelType === 'mistral' || modelType === 'gemma2') {
    slidingWindow = f.optPosNumber('sliding_window', true);
  } else if (modelType === 'qwen2' && f.bool('use_sliding_window')) {
    const window = f.optPosNumber('sliding_window', true);
    const mwl = f.value('max_window_layers');
    if (!Number.isSafeInteger(mwl) || (mwl as number) < 0) {
      f.problem('max_window_layers', `expected a non-negative integer, found ${show(mwl)}`);
    } else if ((mwl as number) === 0) {
      slidingWindow = window;
    } else if ((mwl as number) < layers) {
      f.problem(
        'max_window_layers',
        `sliding window on layers ${mwl}..${layers - 1} only is not supported (poet needs max_window_layers = 0 or ≥ num_hidden_layers when use_sliding_window is true)`,
      );
    }
  }

  let dtype = json.torch_dtype ?? json.dtype ?? 'float32';
  if (!TORCH_DTYPES.includes(dtype as ModelConfig['torch_dtype'])) {
    f.problem(json.torch_dtype !== undefined ? 'torch_dtype' : 'dtype', `expected one of ${TORCH_DTYPES.join(', ')}, found ${show(dtype)}`);
    dtype = 'float32';
  }

  let eos: number | number[] | null;
  const eosRaw = f.value('eos_token_id');
  if (Array.isArray(eosRaw)) {
    eos = [];
    for (const [i, id] of eosRaw.entries()) {
      if (!Number.isSafeInteger(id) || id < 0 || id >= vocab) {
        f.problem(`eos_token_id[${i}]`, `token id ${show(id)} is not an integer in [0, ${vocab})`);
      } else eos.push(id);
    }
  } else {
    eos = f.tokenId('eos_token_id', vocab);
  }

  const isGemma = modelType === 'gemma2';
  const config: ModelConfig = {
    model_type: modelType,
    vocab_size: vocab,
    hidden_size: hidden,
    intermediate_size: intermediate,
    num_hidden_layers: layers,
    num_attention_heads: heads,
    num_key_value_heads: kvHeads,
    head_dim: headDim,
    max_position_embeddings: f.posInt('max_position_embeddings'),
    rms_norm_eps: f.posNumber('rms_norm_eps'),
    rope_theta: f.posNumber('rope_theta'),
    rope_scaling: parseRopeScaling(f),
    hidden_act: SUPPORTED_ACTIVATIONS.includes(act as ModelConfig['hidden_act']) ? (act as ModelConfig['hidden_act']) : 'silu',
    tie_word_embeddings: f.bool('tie_word_embeddings'),
    // qwen2's q/k/v bias is structural (no config key); see models/params.ts.
    attention_bias: modelType === 'qwen2' ? true : modelType === 'mistral' ? false : f.bool('attention_bias'),
    mlp_bias: modelType === 'llama' ? f.bool('mlp_bias') : false,
    sliding_window: slidingWindow,
    query_pre_attn_scalar: isGemma ? f.optPosNumber('query_pre_attn_scalar', false) : null,
    attn_logit_softcapping: isGemma ? f.optPosNumber('attn_logit_softcapping', false) : null,
    final_logit_softcapping: isGemma ? f.optPosNumber('final_logit_softcapping', false) : null,
    initializer_range: f.nonNegNumber('initializer_range'),
    bos_token_id: f.tokenId('bos_token_id', vocab),
    eos_token_id: eos,
    pad_token_id: f.tokenId('pad_token_id', vocab),
    torch_dtype: dtype as ModelConfig['torch_dtype'],
  };
  if (isGemma && config.query_pre_attn_scalar === null) {
    f.problem('query_pre_attn_scalar', 'gemma2 needs a positive number here (HF default 256)');
  }
  if (f.problems.length > 0) {
    throw new PoetMultiError(`${source}: invalid model config (${f.problems.length} problem${f.problems.length > 1 ? 's' : ''})`, f.problems);
  }
  return config;
}

/** Read and parse `<dir>/config.json` (or a path to a .json file). Returns the raw JSON too. */
export function readHfConfig(dirOrFile: string): { config: ModelConfig; raw: Json; path: string } {
  const file = dirOrFile.endsWith('.json') ? dirOrFile : path.join(dirOrFile, 'config.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new PoetError(`${file}: cannot read model config (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new PoetError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
  return { config: parseHfConfig(raw, file), raw: raw as Json, path: file };
}

/**
 * The config.json object transformers needs to rebuild this model. Keys of `base` (the original
 * config.json, if any) that poet does not model are kept; every key poet models is written explicitly.
 */
export function toHfConfigJson(cfg: ModelConfig, base: Json = {}): Json {
  const out: Json = { ...base };
  delete out.dtype; // newer transformers' name for torch_dtype; we write torch_dtype, which all versions read
  const set = (k: string, v: unknown): void => {
    out[k] = v;
  };
  set('architectures', [ARCHITECTURE_BY_TYPE[cfg.model_type]]);
  set('model_type', cfg.model_type);
  set('vocab_size', cfg.vocab_size);
  set('hidden_size', cfg.hidden_size);
  set('intermediate_size', cfg.intermediate_size);
  set('num_hidden_layers', cfg.num_hidden_layers);
  set('num_attention_heads', cfg.num_attention_heads);
  set('num_key_value_heads', cfg.num_key_value_heads);
  set('head_dim', cfg.head_dim);
  set('max_position_embeddings', cfg.max_position_embeddings);
  set('rms_norm_eps', cfg.rms_norm_eps);
  set('rope_theta', cfg.rope_theta);
  set('rope_scaling', cfg.rope_scaling === null ? null : { ...cfg.rope_scaling });
  if (cfg.model_type === 'gemma2') {
    set('hidden_activation', cfg.hidden_act);
    set('hidden_act', cfg.hidden_act); // real Gemma-2 configs carry both; HF reads hidden_activation
  } else {
    set('hidden_act', cfg.hidden_act);
  }
  set('tie_word_embeddings', cfg.tie_word_embeddings);
  set('initializer_range', cfg.initializer_range);
  set('bos_token_id', cfg.bos_token_id);
  set('eos_token_id', Array.isArray(cfg.eos_token_id) ? [...cfg.eos_token_id] : cfg.eos_token_id);
  set('pad_token_id', cfg.pad_token_id);
  set('torch_dtype', cfg.torch_dtype);
  set('use_cache', true);
  if (out.attention_dropout === undefined) set('attention_dropout', 0.0);
  switch (cfg.model_type) {
    case 'llama':
      set('attention_bias', cfg.attention_bias);
      set('mlp_bias', cfg.mlp_bias);
      if (out.pretraining_tp === undefined) set('pretraining_tp', 1);
      break;
    case 'mistral':
      set('sliding_window', cfg.sliding_window);
      break;
    case 'qwen2':
      set('use_sliding_window', cfg.sliding_window !== null);
      // With use_sliding_window false, HF ignores the other two; keep the original's values then.
      set('sliding_window', cfg.sliding_window ?? out.sliding_window ?? null);
      set('max_window_layers', cfg.sliding_window !== null ? 0 : (out.max_window_layers ?? cfg.num_hidden_layers));
      break;
    case 'gemma2':
      set('attention_bias', cfg.attention_bias);
      set('query_pre_attn_scalar', cfg.query_pre_attn_scalar);
      set('sliding_window', cfg.sliding_window);
      set('attn_logit_softcapping', cfg.attn_logit_softcapping);
      set('final_logit_softcapping', cfg.final_logit_softcapping);
      if (out.cache_implementation === undefined) set('cache_implementation', 'hybrid');
      break;
  }
  return out;
}
