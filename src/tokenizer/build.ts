/**
 * Writes a real Hugging Face tokenizer directory (tokenizer.json, tokenizer_config.json,
 * special_tokens_map.json) for one of poet's built-in vocabularies. `poet init-model` uses it so a
 * freshly initialised model directory loads in poet and in Python `transformers` alike.
 *
 * Kinds:
 *  - gpt2:    GPT-2 (50,257 ids), rebuilt from js-tiktoken ranks; Zephyr chat template.
 *  - llama3:  Llama-3/3.1 (128,256 ids), from llama3-tokenizer-js; Llama-3 chat template.
 *  - mistral: Mistral-7B v0.1 (32,000 ids), from mistral-tokenizer-js in the LlamaTokenizerFast
 *             layout, configured like alignment-handbook/zephyr-7b-sft-full (Zephyr template).
 *  - byte:    256 byte tokens + <s> </s> <pad> + the Zephyr role markers (262 ids); tiny models.
 *
 * Building the GPT-2 merges takes a few seconds, so each tokenizer.json is cached under
 * node_modules/.cache/poet-tokenizers/ (override: POET_TOKENIZER_CACHE) keyed by kind + version.
 */
import { copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PoetError } from '../util/errors.ts';
import { BYTE_TO_CHAR } from './byte_level.ts';
import { LLAMA3_CHAT_TEMPLATE, ZEPHYR_CHAT_TEMPLATE } from './templates.ts';
import { gpt2Vocabulary, llama3Vocabulary, mistralVocabulary } from './vocab_sources.ts';

export const TOKENIZER_KINDS = ['gpt2', 'llama3', 'mistral', 'byte'] as const;
export type TokenizerKind = (typeof TOKENIZER_KINDS)[number];

export interface WrittenTokenizer {
  kind: TokenizerKind;
  /** Number of ids, added tokens included (HF `len(tokenizer)`); the embedding needs at least this many rows. */
  vocabSize: number;
  bosTokenId: number;
  eosTokenId: number;
  /** Effective pad id: the pad token's id, or EOS's when the tokenizer has none (as get_tokenizer does). */
  padTokenId: number;
}

export interface WriteTokenizerOptions {
  /** tokenizer_config.json `model_max_length`; default per kind (see KIND_SPECS). */
  modelMaxLength?: number;
}

/** HF's VERY_LARGE_INTEGER (int(1e30)), written by Llama-3 and Zephyr configs; poet clamps it to 2048 on load. */
const VERY_LARGE_INTEGER_LITERAL = '1000000000000000019884624838656';

/** Bump when a generated tokenizer.json changes, so stale caches are rebuilt. */
const BUILD_VERSION = 1;
const SOURCE_VERSIONS: Record<TokenizerKind, string> = {
  gpt2: 'js-tiktoken@1.0.21',
  llama3: 'llama3-tokenizer-js@1.2.0',
  mistral: 'mistral-tokenizer-js@1.0.0',
  byte: 'poet',
};

interface KindSpec {
  bos: string;
  eos: string;
  unk: string | null;
  pad: string | null;
  modelMaxLength: number;
  chatTemplate: string;
  tokenizerClass: string;
  /** Extra tokenizer_config.json keys (HF's own configs carry them). */
  extra: Record<string, unknown>;
}

const KIND_SPECS: Record<TokenizerKind, KindSpec> = {
  // GPT-2 has no chat template of its own; Zephyr's is used (its role markers are plain text here).
  gpt2: {
    bos: '<|endoftext|>', eos: '<|endoftext|>', unk: '<|endoftext|>', pad: null, modelMaxLength: 1024,
    chatTemplate: ZEPHYR_CHAT_TEMPLATE, tokenizerClass: 'GPT2Tokenizer', extra: { add_prefix_space: false },
  },
  // EOS is <|eot_id|> (the Instruct convention): chat turns end with it, so generation stops there.
  llama3: {
    bos: '<|begin_of_text|>', eos: '<|eot_id|>', unk: null, pad: null, modelMaxLength: Number(VERY_LARGE_INTEGER_LITERAL),
    chatTemplate: LLAMA3_CHAT_TEMPLATE, tokenizerClass: 'PreTrainedTokenizerFast',
    extra: { model_input_names: ['input_ids', 'attention_mask'] },
  },
  // As alignment-handbook/zephyr-7b-sft-full: <s>=1, </s>=2, pad = </s> (spec §3.3).
  mistral: {
    bos: '<s>', eos: '</s>', unk: '<unk>', pad: '</s>', modelMaxLength: Number(VERY_LARGE_INTEGER_LITERAL),
    chatTemplate: ZEPHYR_CHAT_TEMPLATE, tokenizerClass: 'LlamaTokenizer',
    extra: { add_bos_token: true, add_eos_token: false, legacy: true, sp_model_kwargs: {}, spaces_between_special_tokens: false, use_default_system_prompt: false },
  },
  byte: {
    bos: '<s>', eos: '</s>', unk: null, pad: '<pad>', modelMaxLength: 2048,
    chatTemplate: ZEPHYR_CHAT_TEMPLATE, tokenizerClass: 'PreTrainedTokenizerFast', extra: {},
  },
};

/** One entry of tokenizer.json `added_tokens`. */
interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

function addedToken(id: number, content: string, special = true): AddedTokenJson {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special };
}

/** TemplateProcessing that puts `bos` before every sequence (Llama-2/3, Mistral, byte). */
function prependBos(bos: string, bosId: number): Record<string, unknown> {
  return {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [
      { SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } },
      { SpecialToken: { id: bos, type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } },
    ],
    special_tokens: { [bos]: { id: bos, ids: [bosId], tokens: [bos] } },
  };
}

function bpeModel(vocab: string[], merges: string[], extra: Record<string, unknown>): Record<string, unknown> {
  const vocabObj: Record<string, number> = {};
  vocab.forEach((tok, id) => { vocabObj[tok] = id; });
  return {
    type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
    fuse_unk: false, byte_fallback: false, ...extra, vocab: vocabObj, merges,
  };
}

function tokenizerJson(parts: {
  added: AddedTokenJson[]; normalizer?: unknown; preTokenizer?: unknown; postProcessor?: unknown; decoder?: unknown; model: unknown;
}): Record<string, unknown> {
  return {
    version: '1.0', truncation: null, padding: null, added_tokens: parts.added,
    normalizer: parts.normalizer ?? null, pre_tokenizer: parts.preTokenizer ?? null,
    post_processor: parts.postProcessor ?? null, decoder: parts.decoder ?? null, model: parts.model,
  };
}

const BYTE_LEVEL = (addPrefixSpace: boolean, trimOffsets: boolean, useRegex: boolean) =>
  ({ type: 'ByteLevel', add_prefix_space: addPrefixSpace, trim_offsets: trimOffsets, use_regex: useRegex });

async function buildGpt2(): Promise<Record<string, unknown>> {
  const { vocab, merges } = await gpt2Vocabulary();
  return tokenizerJson({
    added: [addedToken(vocab.length, '<|endoftext|>')],
    preTokenizer: BYTE_LEVEL(false, true, true),
    postProcessor: BYTE_LEVEL(true, false, true),
    decoder: BYTE_LEVEL(true, true, true),
    model: bpeModel(vocab, merges, {}),
  });
}

/** The Llama-3 pre-tokenizer split regex (Meta's tokenizer.json). */
const LLAMA3_SPLIT_REGEX =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

async function buildLlama3(): Promise<Record<string, unknown>> {
  const { vocab, merges, specials } = await llama3Vocabulary();
  const bosId = vocab.length + specials.indexOf('<|begin_of_text|>');
  return tokenizerJson({
    added: specials.map((s, i) => addedToken(vocab.length + i, s)),
    preTokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: LLAMA3_SPLIT_REGEX }, behavior: 'Isolated', invert: false },
        BYTE_LEVEL(false, true, false),
      ],
    },
    postProcessor: { type: 'Sequence', processors: [BYTE_LEVEL(true, false, true), prependBos('<|begin_of_text|>', bosId)] },
    decoder: BYTE_LEVEL(true, true, true),
    // ignore_merges: a pre-token that is itself in the vocabulary maps straight to its id (Llama-3).
    model: bpeModel(vocab, merges, { ignore_merges: true }),
  });
}

async function buildMistral(): Promise<Record<string, unknown>> {
  const { vocab, merges } = await mistralVocabulary();
  // LlamaTokenizerFast layout: SentencePiece BPE with byte fallback; "▁" marks spaces.
  return tokenizerJson({
    added: [addedToken(0, '<unk>'), addedToken(1, '<s>'), addedToken(2, '</s>')],
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }],
    },
    postProcessor: prependBos('<s>', 1),
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
        { type: 'ByteFallback' }, { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: bpeModel(vocab, merges, { unk_token: '<unk>', fuse_unk: true, byte_fallback: true }),
  });
}

/** Special and added tokens of the byte kind, ids 256.. in this order. */
const BYTE_EXTRA_TOKENS: Array<[string, boolean]> = [
  ['<s>', true], ['</s>', true], ['<pad>', true],
  // Zephyr role markers as single (non-special) ids, so short training sequences stay short.
  ['<|system|>', false], ['<|user|>', false], ['<|assistant|>', false],
];

function buildByte(): Record<string, unknown> {
  // No merges: every UTF-8 byte is one token, id = byte value.
  return tokenizerJson({
    added: BYTE_EXTRA_TOKENS.map(([content, special], i) => addedToken(256 + i, content, special)),
    preTokenizer: BYTE_LEVEL(false, true, false),
    postProcessor: prependBos('<s>', 256),
    decoder: BYTE_LEVEL(true, true, true),
    model: bpeModel([...BYTE_TO_CHAR], [], {}),
  });
}

const BUILDERS: Record<TokenizerKind, () => Promise<Record<string, unknown>> | Record<string, unknown>> = {
  gpt2: buildGpt2, llama3: buildLlama3, mistral: buildMistral, byte: buildByte,
};

function checkKind(kind: string): asserts kind is TokenizerKind {
  if (!(TOKENIZER_KINDS as readonly string[]).includes(kind)) {
    throw new PoetError(`unknown tokenizer kind "${kind}": expected one of ${TOKENIZER_KINDS.join(', ')}`);
  }
}

function cacheDir(): string {
  const env = process.env.POET_TOKENIZER_CACHE;
  if (env) return env;
  return fileURLToPath(new URL('../../node_modules/.cache/poet-tokenizers/', import.meta.url));
}

/**
 * Path of the cached tokenizer.json for `kind`, building it first if absent. Concurrent builders
 * each write a private temp file and rename it into place, so readers never see a partial file.
 */
export async function cachedTokenizerJson(kind: TokenizerKind): Promise<string> {
  checkKind(kind);
  const dir = cacheDir();
  const file = path.join(dir, `${kind}-b${BUILD_VERSION}-${SOURCE_VERSIONS[kind]}.tokenizer.json`);
  if (existsSync(file)) return file;
  const json = JSON.stringify(await BUILDERS[kind]());
  await mkdir(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, json);
  await rename(tmp, file);
  return file;
}

/** JSON with `model_max_length` written as an exact integer even when it is HF's int(1e30). */
function configJson(obj: Record<string, unknown>): string {
  const text = JSON.stringify(obj, null, 2);
  return text.replace(/"model_max_length": 1e\+30/, `"model_max_length": ${VERY_LARGE_INTEGER_LITERAL}`);
}

/** Writes tokenizer.json, tokenizer_config.json and special_tokens_map.json for `kind` into `dir`. */
export async function writeTokenizerFiles(
  kind: TokenizerKind, dir: string, opts: WriteTokenizerOptions = {},
): Promise<WrittenTokenizer> {
  checkKind(kind);
  const spec = KIND_SPECS[kind];
  const source = await cachedTokenizerJson(kind);
  await mkdir(dir, { recursive: true });
  await copyFile(source, path.join(dir, 'tokenizer.json'));

  // Ids come from the written file itself, so the config can never disagree with it.
  const tj = JSON.parse(await readFile(source, 'utf8')) as { added_tokens: AddedTokenJson[]; model: { vocab: Record<string, number> } };
  const idOf = (tok: string): number => {
    const id = tj.added_tokens.find((t) => t.content === tok)?.id ?? tj.model.vocab[tok];
    if (id === undefined) throw new Error(`tokenizer kind ${kind}: token ${tok} missing from its own vocabulary`);
    return id;
  };
  const maxId = Math.max(Object.keys(tj.model.vocab).length - 1, ...tj.added_tokens.map((t) => t.id));

  const addedTokensDecoder: Record<string, Omit<AddedTokenJson, 'id'>> = {};
  for (const { id, ...rest } of tj.added_tokens) addedTokensDecoder[String(id)] = rest;
  const config: Record<string, unknown> = {
    added_tokens_decoder: addedTokensDecoder,
    bos_token: spec.bos,
    chat_template: spec.chatTemplate,
    clean_up_tokenization_spaces: false,
    eos_token: spec.eos,
    model_max_length: opts.modelMaxLength ?? spec.modelMaxLength,
    pad_token: spec.pad,
    tokenizer_class: spec.tokenizerClass,
    unk_token: spec.unk,
    ...spec.extra,
  };
  const specialMap: Record<string, string> = { bos_token: spec.bos, eos_token: spec.eos };
  if (spec.unk !== null) specialMap.unk_token = spec.unk;
  if (spec.pad !== null) specialMap.pad_token = spec.pad;

  await writeFile(path.join(dir, 'tokenizer_config.json'), configJson(config) + '\n');
  await writeFile(path.join(dir, 'special_tokens_map.json'), JSON.stringify(specialMap, null, 2) + '\n');
  const eosTokenId = idOf(spec.eos);
  return {
    kind,
    vocabSize: maxId + 1,
    bosTokenId: idOf(spec.bos),
    eosTokenId,
    padTokenId: spec.pad === null ? eosTokenId : idOf(spec.pad),
  };
}
