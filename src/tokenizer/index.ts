/** Tokenizers and chat templates: public surface (re-exports only). */
export { writeTokenizerFiles, cachedTokenizerJson, TOKENIZER_KINDS } from './build.ts';
export type { TokenizerKind, WrittenTokenizer, WriteTokenizerOptions } from './build.ts';
export { loadTokenizer, loadTokenizerSync, PoetTokenizer } from './load.ts';
export type { LoadTokenizerOptions, EncodeOptions, DecodeOptions, ApplyChatTemplateOptions } from './load.ts';
export {
  DEFAULT_CHAT_TEMPLATE, ZEPHYR_CHAT_TEMPLATE, LLAMA3_CHAT_TEMPLATE, GEMMA2_CHAT_TEMPLATE, MISTRAL_CHAT_TEMPLATE,
  KNOWN_CHAT_TEMPLATES, maybeInsertSystemMessage,
} from './templates.ts';
export type { ChatMessage } from './templates.ts';
export { checkMessages } from './chat.ts';
