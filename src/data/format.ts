/**
 * Messages → the three strings the trainer tokenizes (spec §3.2, the original's `apply_chat_template`
 * with task "simpo"/"dpo"):
 *   1. the prompt messages get an empty system message first when the template mentions "system" or
 *      "<|im_start|>" (alignment-handbook `maybe_insert_system_message`, on by default);
 *   2. prompt = template(prompt messages) with NO generation prompt;
 *   3. chosen / rejected = template(response messages), minus a leading BOS *string* (the Llama-3 and
 *      Gemma-2 templates emit `bos_token` before the first message of any list).
 *
 * The chat template is whatever the tokenizer carries: config `chat_template` > the tokenizer's own >
 * Zephyr (src/tokenizer). The original additionally replaced it by MISTRAL_CHAT_TEMPLATE whenever
 * `model_name_or_path` contained "mistral" (spec §8.4). poet does not switch templates on a model's
 * name; `mistralNameNotice` explains what the original would have done so the user can set
 * `chat_template: mistral` explicitly.
 */
import { maybeInsertSystemMessage } from '../tokenizer/index.ts';
import type { ChatMessage, FormattedPair, PreferenceExample } from './types.ts';

/** What formatting needs from a tokenizer (PoetTokenizer satisfies it). */
export interface TemplateRenderer {
  readonly bosToken: string | null;
  readonly chatTemplate: string;
  applyChatTemplate(messages: readonly ChatMessage[], opts?: { addGenerationPrompt?: boolean }): string;
}

export interface FormatOptions {
  /** alignment-handbook `auto_insert_empty_system_msg`, default true. */
  autoInsertEmptySystemMsg: boolean;
}

/** Removes one leading BOS string, as `text_chosen[len(bos_token):]` in the original. */
export function stripBosString(text: string, bosToken: string | null): string {
  return bosToken && text.startsWith(bosToken) ? text.slice(bosToken.length) : text;
}

export function formatPair(ex: PreferenceExample, tok: TemplateRenderer, opts: FormatOptions): FormattedPair {
  const promptMessages = opts.autoInsertEmptySystemMsg ? maybeInsertSystemMessage(ex.prompt, tok.chatTemplate) : ex.prompt;
  return {
    prompt: tok.applyChatTemplate(promptMessages),
    chosen: stripBosString(tok.applyChatTemplate(ex.chosen), tok.bosToken),
    rejected: stripBosString(tok.applyChatTemplate(ex.rejected), tok.bosToken),
  };
}

/** A notice when the original would have forced MISTRAL_CHAT_TEMPLATE because of the model's name. */
export function mistralNameNotice(modelNameOrPath: string | undefined, chatTemplateSet: boolean): string | null {
  if (!modelNameOrPath || chatTemplateSet || !modelNameOrPath.toLowerCase().includes('mistral')) return null;
  return (
    `model_name_or_path "${modelNameOrPath}" contains "mistral": the original would have replaced the chat template ` +
    `by MISTRAL_CHAT_TEMPLATE ([INST] … [/INST]); poet uses the tokenizer's own template. ` +
    `Set chat_template: mistral to get the original's behaviour.`
  );
}
