/**
 * Loads a Hugging Face tokenizer directory (tokenizer.json + tokenizer_config.json, and
 * special_tokens_map.json when present) into a PoetTokenizer over @huggingface/tokenizers, with the
 * behaviour of the original's `get_tokenizer` (alignment-handbook, spec §3.2/§3.5):
 *  - pad token = EOS when the tokenizer has none;
 *  - model_max_length clamped to 2048 when above 100,000 (or absent, i.e. HF's int(1e30));
 *  - chat template: caller's override > tokenizer's own > DEFAULT_CHAT_TEMPLATE (Zephyr).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { PoetError } from '../util/errors.ts';
import { compileChatTemplate, renderChatTemplate, type CompiledChatTemplate } from './chat.ts';
import { DEFAULT_CHAT_TEMPLATE, KNOWN_CHAT_TEMPLATES, type ChatMessage } from './templates.ts';

export interface LoadTokenizerOptions {
  /** Chat template to use instead of the tokenizer's (a Jinja string, or a name in KNOWN_CHAT_TEMPLATES). */
  chatTemplate?: string;
}

export interface EncodeOptions {
  /** Run the post-processor (e.g. prepend BOS), as HF's `add_special_tokens`; default true. */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Drop special tokens (BOS/EOS/pad/… marked `special` in tokenizer.json); default false. */
  skipSpecialTokens?: boolean;
  /** Default: the config's `clean_up_tokenization_spaces` if it is exactly true, else false. */
  cleanUpTokenizationSpaces?: boolean;
}

export interface ApplyChatTemplateOptions {
  addGenerationPrompt?: boolean;
}

/** get_tokenizer: `if tokenizer.model_max_length > 100_000: tokenizer.model_max_length = 2048`. */
const MAX_LENGTH_CLAMP_ABOVE = 100_000;
const CLAMPED_MAX_LENGTH = 2048;

type TokenField = string | { content?: unknown } | null | undefined;

/** HF stores a special token either as a string or as an AddedToken dict {content, …}. */
function tokenString(v: TokenField): string | null {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof v.content === 'string') return v.content;
  return null;
}

function readJson(file: string, required: boolean): Record<string, unknown> | null {
  if (!existsSync(file)) {
    if (required) throw new PoetError(`tokenizer: ${file} not found (a tokenizer directory needs tokenizer.json)`);
    return null;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PoetError(`tokenizer: cannot read ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new PoetError(`tokenizer: ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new PoetError(`tokenizer: ${file}: expected a JSON object, found ${Array.isArray(parsed) ? 'a list' : typeof parsed}`);
  }
  return parsed as Record<string, unknown>;
}

/** tokenizer_config `chat_template` may be a string or a list of {name, template} (newer HF). */
function ownChatTemplate(config: Record<string, unknown>, file: string): string | null {
  const t = config.chat_template;
  if (t === undefined || t === null) return null;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const entry = t.find((e) => e && typeof e === 'object' && (e as { name?: unknown }).name === 'default');
    const tpl = (entry as { template?: unknown } | undefined)?.template;
    if (typeof tpl === 'string') return tpl;
    throw new PoetError(`tokenizer: ${file} chat_template: a list of templates without a "default" entry`);
  }
  throw new PoetError(`tokenizer: ${file} chat_template: expected a string, found ${typeof t}`);
}

export class PoetTokenizer {
  readonly dir: string;
  readonly bosToken: string | null;
  readonly bosTokenId: number | null;
  readonly eosToken: string | null;
  readonly eosTokenId: number | null;
  /** The pad token, or EOS when the tokenizer defines none (get_tokenizer). */
  readonly padToken: string | null;
  readonly padTokenId: number | null;
  readonly unkToken: string | null;
  readonly unkTokenId: number | null;
  /** Number of ids including added tokens (HF `len(tokenizer)`). */
  readonly vocabSize: number;
  /** After the get_tokenizer clamp. */
  readonly modelMaxLength: number;
  readonly chatTemplate: string;
  readonly cleanUpTokenizationSpaces: boolean;
  /** Ids of tokens marked special in tokenizer.json. */
  readonly allSpecialIds: readonly number[];

  private readonly tok: Tokenizer;
  private readonly compiled: CompiledChatTemplate;

  constructor(dir: string, opts: LoadTokenizerOptions = {}) {
    this.dir = dir;
    const tjFile = path.join(dir, 'tokenizer.json');
    const cfgFile = path.join(dir, 'tokenizer_config.json');
    const tokenizerJson = readJson(tjFile, true)!;
    const config = readJson(cfgFile, false) ?? {};
    const specialMap = readJson(path.join(dir, 'special_tokens_map.json'), false) ?? {};
    try {
      this.tok = new Tokenizer(tokenizerJson, config);
    } catch (err) {
      throw new PoetError(`tokenizer: ${tjFile} could not be loaded: ${(err as Error).message}`);
    }

    const special = (name: string): string | null =>
      tokenString(config[name] as TokenField) ?? tokenString(specialMap[name] as TokenField);
    const idOf = (tok: string | null, name: string): number | null => {
      if (tok === null) return null;
      const id = this.tok.token_to_id(tok);
      if (id === undefined) throw new PoetError(`tokenizer: ${cfgFile} ${name} "${tok}" is not in the vocabulary of ${tjFile}`);
      return id;
    };
    this.bosToken = special('bos_token');
    this.bosTokenId = idOf(this.bosToken, 'bos_token');
    this.eosToken = special('eos_token');
    this.eosTokenId = idOf(this.eosToken, 'eos_token');
    this.unkToken = special('unk_token');
    this.unkTokenId = idOf(this.unkToken, 'unk_token');
    const pad = special('pad_token');
    this.padToken = pad ?? this.eosToken;
    this.padTokenId = pad !== null ? idOf(pad, 'pad_token') : this.eosTokenId;

    let maxId = -1;
    for (const id of this.tok.get_vocab(true).values()) if (id > maxId) maxId = id;
    this.vocabSize = maxId + 1;
    this.allSpecialIds = [...this.tok.get_added_tokens_decoder().values()].filter((t) => t.special).map((t) => t.id);

    const mml = config.model_max_length;
    this.modelMaxLength = typeof mml === 'number' && mml <= MAX_LENGTH_CLAMP_ABOVE ? mml : CLAMPED_MAX_LENGTH;
    this.cleanUpTokenizationSpaces = config.clean_up_tokenization_spaces === true;

    const own = ownChatTemplate(config, cfgFile);
    if (opts.chatTemplate !== undefined) {
      const named = KNOWN_CHAT_TEMPLATES[opts.chatTemplate];
      this.chatTemplate = named ?? opts.chatTemplate;
      this.compiled = compileChatTemplate(this.chatTemplate, named ? `named template "${opts.chatTemplate}"` : 'chat_template override');
    } else if (own !== null) {
      this.chatTemplate = own;
      this.compiled = compileChatTemplate(own, `chat_template of ${cfgFile}`);
    } else {
      this.chatTemplate = DEFAULT_CHAT_TEMPLATE;
      this.compiled = compileChatTemplate(DEFAULT_CHAT_TEMPLATE, 'DEFAULT_CHAT_TEMPLATE (Zephyr)');
    }
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    return this.tok.encode(text, { add_special_tokens: opts.addSpecialTokens ?? true }).ids;
  }

  /** Token strings of `text` without special tokens added (HF `tokenize`). */
  tokenize(text: string): string[] {
    return this.tok.tokenize(text, { add_special_tokens: false });
  }

  /** Ids without a token (e.g. rows of a padded embedding) are skipped, as HF's Rust decoder does. */
  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    const known = ids.filter((id) => Number.isInteger(id) && this.tok.id_to_token(id) !== undefined);
    if (known.length === 0) return '';
    return this.tok.decode(known, {
      skip_special_tokens: opts.skipSpecialTokens ?? false,
      clean_up_tokenization_spaces: opts.cleanUpTokenizationSpaces ?? this.cleanUpTokenizationSpaces,
    });
  }

  /** HF convert_tokens_to_ids: unknown tokens give the unk id, or null when there is no unk token. */
  convertTokensToIds(token: string): number | null;
  convertTokensToIds(tokens: readonly string[]): Array<number | null>;
  convertTokensToIds(tokens: string | readonly string[]): number | null | Array<number | null> {
    const one = (t: string) => this.tok.token_to_id(t) ?? this.unkTokenId;
    return typeof tokens === 'string' ? one(tokens) : tokens.map(one);
  }

  convertIdsToTokens(ids: readonly number[]): Array<string | null> {
    return ids.map((id) => this.tok.id_to_token(id) ?? null);
  }

  /** HF apply_chat_template(messages, tokenize=False, add_generation_prompt=…). */
  applyChatTemplate(messages: readonly ChatMessage[], opts: ApplyChatTemplateOptions = {}): string {
    return renderChatTemplate(this.compiled, messages, {
      addGenerationPrompt: opts.addGenerationPrompt ?? false,
      specialTokens: { bos_token: this.bosToken, eos_token: this.eosToken, unk_token: this.unkToken, pad_token: this.padToken },
    });
  }
}

export function loadTokenizerSync(dir: string, opts: LoadTokenizerOptions = {}): PoetTokenizer {
  if (!existsSync(dir)) throw new PoetError(`tokenizer: directory ${dir} does not exist`);
  return new PoetTokenizer(dir, opts);
}

export async function loadTokenizer(dir: string, opts: LoadTokenizerOptions = {}): Promise<PoetTokenizer> {
  return loadTokenizerSync(dir, opts);
}
