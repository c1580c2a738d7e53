/**
 * Chat-template rendering with @huggingface/jinja, in the context HF `apply_chat_template` builds:
 * `messages`, `add_generation_prompt`, and the special tokens (`bos_token`, `eos_token`, …).
 *
 * The library's Template already applies HF's `trim_blocks` + `lstrip_blocks` and drops one trailing
 * newline of the template (Jinja's keep_trailing_newline=False). `raise_exception` and
 * `strftime_now` are built-in globals there; passing them in the context would throw
 * "Variable already declared" (ecosystem.md §2), so they are not passed.
 */
import { Template } from '@huggingface/jinja';
import { PoetError } from '../util/errors.ts';
import type { ChatMessage } from './templates.ts';

export interface CompiledChatTemplate {
  source: string;
  /** Where the template came from, for error messages ("tokenizer_config.json in …", "override", …). */
  origin: string;
  template: Template;
}

export function compileChatTemplate(source: string, origin: string): CompiledChatTemplate {
  try {
    return { source, origin, template: new Template(source) };
  } catch (err) {
    throw new PoetError(`chat template (${origin}) does not parse: ${(err as Error).message}`);
  }
}

/** Rejects anything that is not a list of {role: string, content: string}, naming the bad entry. */
export function checkMessages(messages: unknown, what = 'messages'): asserts messages is ChatMessage[] {
  if (!Array.isArray(messages)) {
    throw new PoetError(`${what}: expected a list of {role, content} messages, found ${describe(messages)}`);
  }
  messages.forEach((m, i) => {
    if (m === null || typeof m !== 'object') {
      throw new PoetError(`${what}[${i}]: expected an object {role, content}, found ${describe(m)}`);
    }
    const { role, content } = m as Record<string, unknown>;
    if (typeof role !== 'string') throw new PoetError(`${what}[${i}].role: expected a string, found ${describe(role)}`);
    if (typeof content !== 'string') {
      throw new PoetError(`${what}[${i}].content: expected a string, found ${describe(content)}`);
    }
  });
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return typeof v;
}

export interface RenderContext {
  addGenerationPrompt: boolean;
  /** Special tokens by HF name (bos_token, eos_token, unk_token, pad_token); null ones are left out. */
  specialTokens: Record<string, string | null>;
}

export function renderChatTemplate(compiled: CompiledChatTemplate, messages: readonly ChatMessage[], ctx: RenderContext): string {
  checkMessages(messages);
  const items: Record<string, unknown> = {
    // Copies: the template may `set` variables, and callers' objects must stay untouched.
    messages: messages.map((m) => ({ ...m })),
    add_generation_prompt: ctx.addGenerationPrompt,
  };
  for (const [name, value] of Object.entries(ctx.specialTokens)) {
    if (value !== null) items[name] = value;
  }
  try {
    return compiled.template.render(items);
  } catch (err) {
    throw new PoetError(`chat template (${compiled.origin}) raised an error: ${(err as Error).message}`);
  }
}
