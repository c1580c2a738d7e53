/**
 * Random models in Hugging Face format (`poet init-model`): a preset architecture, a real tokenizer
 * from src/tokenizer/build.ts, and weights drawn like transformers' `_init_weights`:
 *   Linear / Embedding weights ~ normal(0, initializer_range), biases 0, the embedding row of the
 *   pad token 0 (nn.Embedding padding_idx), RMSNorm weights 1 (llama, mistral, qwen2) or 0 (gemma2,
 *   whose norm multiplies by 1 + w).
 * Weights come from poet's seeded xoshiro128** stream in parameterShapes order, so one seed always gives
 * the same model (it cannot reproduce torch's Mersenne-Twister numbers).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PoetError } from '../util/errors.ts';
import type { ModelConfig, ModelType } from '../models/config.ts';
import { EMBED_NAME, parameterCount, parameterKind, parameterShapes } from '../models/params.ts';
import { Rng } from '../util/rng.ts';
import { writeTokenizerFiles, type TokenizerKind, type WrittenTokenizer } from '../tokenizer/build.ts';
import { saveModelDir, type SavedModel, type WeightDtype } from './model_dir.ts';
import { numel } from './safetensors.ts';

export const INIT_ARCHS: readonly ModelType[] = ['llama', 'mistral', 'qwen2', 'gemma2'];
export const PRESETS = ['tiny', 'small', 'bench'] as const;
export type Preset = (typeof PRESETS)[number];

interface PresetShape {
  hidden: number;
  intermediate: number;
  layers: number;
  heads: number;
  kvHeads: number;
  /** Fixed vocabulary (bench); null = the tokenizer's, rounded up to a multiple of 64. */
  vocab: number | null;
  /** Sliding window for mistral/gemma2 (tiny uses a short one so tests exercise the windowed path). */
  window: number;
  /** null = the family's HF default (tied for gemma2 only). */
  tied: boolean | null;
}

/**
 * tiny: for tests; the embedding dominates (byte tokenizer ≈ 39 K params, gpt2 ≈ 3.2 M, llama3 ≈ 8.2 M).
 * small: for the demo (byte tokenizer ≈ 9.7 M params; gpt2 ≈ 48 M untied).
 * bench: the engine benchmark model of docs/architecture (vocab 2048, d 256, 4 layers, 4 heads, SwiGLU 688, untied).
 */
export const PRESET_SHAPES: Readonly<Record<Preset, PresetShape>> = {
  tiny: { hidden: 32, intermediate: 64, layers: 2, heads: 4, kvHeads: 2, vocab: null, window: 32, tied: null },
  small: { hidden: 384, intermediate: 1024, layers: 6, heads: 6, kvHeads: 2, vocab: null, window: 4096, tied: null },
  bench: { hidden: 256, intermediate: 688, layers: 4, heads: 4, kvHeads: 4, vocab: 2048, window: 4096, tied: false },
};

export interface TokenizerIds {
  vocabSize: number;
  bosTokenId: number | null;
  eosTokenId: number | null;
  /** The tokenizer's own pad token (null when it has none: the pad row is then not zeroed). */
  padTokenId: number | null;
}

/** The ModelConfig of a preset for one family and tokenizer. */
export function presetConfig(arch: ModelType, preset: Preset, tok: TokenizerIds): ModelConfig {
  const p = PRESET_SHAPES[preset];
  const vocab = p.vocab ?? Math.ceil(tok.vocabSize / 64) * 64;
  if (tok.vocabSize > vocab) {
    throw new PoetError(`--preset ${preset}: the tokenizer has ${tok.vocabSize} ids, more than the preset's vocabulary of ${vocab}`);
  }
  const headDim = p.hidden / p.heads;
  const gemma = arch === 'gemma2';
  return {
    model_type: arch,
    vocab_size: vocab,
    hidden_size: p.hidden,
    intermediate_size: p.intermediate,
    num_hidden_layers: p.layers,
    num_attention_heads: p.heads,
    num_key_value_heads: p.kvHeads,
    head_dim: headDim,
    max_position_embeddings: 2048,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    rope_scaling: null,
    hidden_act: gemma ? 'gelu_pytorch_tanh' : 'silu',
    tie_word_embeddings: p.tied ?? gemma,
    attention_bias: arch === 'qwen2',
    mlp_bias: false,
    sliding_window: arch === 'mistral' || gemma ? p.window : null,
    query_pre_attn_scalar: gemma ? headDim : null,
    attn_logit_softcapping: gemma ? 50 : null,
    final_logit_softcapping: gemma ? 30 : null,
    initializer_range: 0.02,
    bos_token_id: tok.bosTokenId,
    eos_token_id: tok.eosTokenId,
    pad_token_id: tok.padTokenId,
    torch_dtype: 'float32',
  };
}

/** Random weights as transformers initialises them (see the file comment), from `seed`. */
export function initWeights(cfg: ModelConfig, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const std = cfg.initializer_range;
  const weights = new Map<string, Float32Array>();
  for (const [name, shape] of parameterShapes(cfg)) {
    const data = new Float32Array(numel(shape));
    const kind = parameterKind(name);
    if (kind === 'embedding' || kind === 'linear_weight') {
      for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
    } else if (kind === 'norm' && cfg.model_type !== 'gemma2') {
      data.fill(1);
    } // biases and gemma2 norms stay 0
    if (name === EMBED_NAME && cfg.pad_token_id !== null) {
      data.fill(0, cfg.pad_token_id * cfg.hidden_size, (cfg.pad_token_id + 1) * cfg.hidden_size);
    }
    weights.set(name, data);
  }
  return weights;
}

export interface InitModelOptions {
  arch: ModelType;
  preset: Preset;
  tokenizer: TokenizerKind;
  out: string;
  seed?: number;
  saveDtype?: WeightDtype;
  /** Replace an existing non-empty `out` folder. */
  force?: boolean;
}

export interface InitModelResult {
  config: ModelConfig;
  saved: SavedModel;
  parameters: number;
  tokenizer: TokenizerKind;
  /** Things the user should know (e.g. a tokenizer substituted for the bench preset). */
  notes: string[];
}

/** The tokenizer's dedicated pad token id, or null if it has none or pads with EOS. */
function dedicatedPadId(dir: string, written: WrittenTokenizer): number | null {
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8')) as { pad_token?: unknown; eos_token?: unknown };
  if (cfg.pad_token === null || cfg.pad_token === undefined || cfg.pad_token === cfg.eos_token) return null;
  return written.padTokenId;
}

export async function initModel(opts: InitModelOptions): Promise<InitModelResult> {
  if (!INIT_ARCHS.includes(opts.arch)) throw new PoetError(`--arch: expected one of ${INIT_ARCHS.join(', ')}, found ${JSON.stringify(opts.arch)}`);
  if (!PRESETS.includes(opts.preset)) throw new PoetError(`--preset: expected one of ${PRESETS.join(', ')}, found ${JSON.stringify(opts.preset)}`);
  const seed = opts.seed ?? 42;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new PoetError(`--seed: expected a non-negative integer, found ${seed}`);
  if (!opts.force && fs.existsSync(opts.out) && fs.readdirSync(opts.out).length > 0) {
    throw new PoetError(`${opts.out}: folder exists and is not empty (pass --force to replace it)`);
  }
  const notes: string[] = [];
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'poet-init-tok-'));
  try {
    let kind = opts.tokenizer;
    let written = await writeTokenizerFiles(kind, staging);
    const fixedVocab = PRESET_SHAPES[opts.preset].vocab;
    if (fixedVocab !== null && written.vocabSize > fixedVocab) {
      notes.push(
        `the ${opts.tokenizer} tokenizer has ${written.vocabSize} ids, more than the ${opts.preset} preset's vocabulary of ${fixedVocab}: using the byte tokenizer instead`,
      );
      kind = 'byte';
      fs.rmSync(staging, { recursive: true, force: true });
      fs.mkdirSync(staging);
      written = await writeTokenizerFiles(kind, staging);
    }
    const config = presetConfig(opts.arch, opts.preset, {
      vocabSize: written.vocabSize,
      bosTokenId: written.bosTokenId,
      eosTokenId: written.eosTokenId,
      padTokenId: dedicatedPadId(staging, written),
    });
    const weights = initWeights(config, seed);
    const saved = saveModelDir(opts.out, { config, weights, dtype: 'float32' }, { saveDtype: opts.saveDtype ?? 'float32', sourceDir: staging });
    return { config: { ...config, torch_dtype: saved.dtype }, saved, parameters: parameterCount(config), tokenizer: kind, notes };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
