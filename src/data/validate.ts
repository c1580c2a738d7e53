/**
 * Row schemas → validated examples. Accepted preference row shapes (after the column filter of sources.ts):
 *
 *  1. UltraFeedback-binarized / princeton-nlp armorm: `prompt` string, `chosen` and `rejected` message
 *     lists `[..history, {role:'assistant'}]`. As the original (spec §3.2 item 2) the prompt is
 *     `chosen[:-1]` and the responses are the last messages; the `prompt` string itself is not rendered.
 *     Unlike the original, which silently ignores the rejected history, `rejected[:-1]` must equal
 *     `chosen[:-1]`: a pair whose two answers reply to different conversations is not a preference pair.
 *     When `chosen` holds only the assistant reply, the `prompt` string becomes the single user turn.
 *  2. OpenAI-format prompt list: `prompt` is a message list; `chosen` / `rejected` are the response
 *     message lists, rendered whole (spec §3.2 item 2).
 *  3. Plain strings `{prompt, chosen, rejected}`: mapped to prompt `[{role:'user', content: prompt}]` and
 *     responses `[{role:'assistant', content: chosen}]` / `[… rejected]`. A list `prompt` with string
 *     responses works the same way.
 *
 * SFT rows: a `messages` list with at least one assistant turn, or `{prompt, completion}` strings.
 *
 * Every failure is a DataRowError naming file, row and field; the caller decides to stop or skip.
 * Lone UTF-16 surrogates (possible in JSONL escapes) are replaced by U+FFFD (`toWellFormed`), as a
 * Parquet UTF-8 round trip would.
 */
import { PoetError } from '../util/errors.ts';
import type { RawRecord } from './sources.ts';
import { formatLocation } from './types.ts';
import type { ChatMessage, PreferenceExample, RowLocation, SftExample } from './types.ts';

export const ROLES = ['system', 'user', 'assistant'] as const;

/** A problem with one row: file, row and field are part of the message. */
export class DataRowError extends PoetError {
  readonly loc: RowLocation;
  readonly reason: string;
  constructor(loc: RowLocation, reason: string) {
    super(`${formatLocation(loc)}: ${reason}`);
    this.loc = loc;
    this.reason = reason;
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing (field missing)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'string') return v.trim() === '' ? 'an empty string' : 'a string';
  return `a ${typeof v}`;
}

// String.prototype.isWellFormed / toWellFormed exist in Node 20 (ES2024); tsconfig's lib is ES2023.
type Es2024String = { isWellFormed(): boolean; toWellFormed(): string };
const wellFormed = (s: string): string => ((s as unknown as Es2024String).isWellFormed() ? s : (s as unknown as Es2024String).toWellFormed());

function isMessageList(v: unknown): v is unknown[] {
  return Array.isArray(v) && v.length > 0 && v.every((m) => typeof m === 'object' && m !== null && !Array.isArray(m) && 'role' in m);
}

/** Validates one message list field; `field` is the column name used in messages. */
function messages(loc: RowLocation, field: string, v: unknown): ChatMessage[] {
  if (!Array.isArray(v) || v.length === 0) {
    throw new DataRowError(loc, `field "${field}": expected a non-empty list of {role, content} messages, found ${describe(v)}`);
  }
  return v.map((m, i) => {
    const where = (sub = '') => `field "${field}[${i}]${sub}"`;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) {
      throw new DataRowError(loc, `${where()}: expected a {role, content} object, found ${describe(m)}`);
    }
    const { role, content } = m as { role?: unknown; content?: unknown };
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
      throw new DataRowError(loc, `${where('.role')}: expected one of ${ROLES.join(', ')}, found ${typeof role === 'string' ? `"${role}"` : describe(role)}`);
    }
    if (typeof content !== 'string') throw new DataRowError(loc, `${where('.content')}: expected a string, found ${describe(content)}`);
    if (role !== 'system' && content.trim() === '') throw new DataRowError(loc, `${where('.content')}: expected non-empty text for a ${role} message, found an empty string`);
    if (role === 'system' && i !== 0) throw new DataRowError(loc, `${where('.role')}: a system message may only come first`);
    return { role, content: wellFormed(content) };
  });
}

function text(loc: RowLocation, field: string, v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') throw new DataRowError(loc, `field "${field}": expected a non-empty string, found ${describe(v)}`);
  return wellFormed(v);
}

function requireLastAssistant(loc: RowLocation, field: string, list: ChatMessage[]): void {
  const last = list[list.length - 1]!;
  if (last.role !== 'assistant') {
    throw new DataRowError(loc, `field "${field}[${list.length - 1}].role": the last message must be the assistant's reply, found "${last.role}"`);
  }
}

function requirePromptEndsWithUser(loc: RowLocation, field: string, prompt: ChatMessage[]): void {
  const last = prompt[prompt.length - 1];
  if (last === undefined || last.role !== 'user') {
    throw new DataRowError(loc, `field "${field}": the conversation before the reply must end with a user message, found ${last ? `"${last.role}"` : 'no message'}`);
  }
}

function sameMessages(a: ChatMessage[], b: ChatMessage[]): number {
  // index of the first difference, or -1 when equal
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i]?.role !== b[i]?.role || a[i]?.content !== b[i]?.content) return i;
  }
  return -1;
}

/** One preference row → PreferenceExample (or DataRowError). */
export function toPreferenceExample(record: RawRecord, loc: RowLocation): PreferenceExample {
  const { prompt, chosen, rejected } = record;
  if (chosen === undefined) throw new DataRowError(loc, `field "chosen": missing (a preference row needs prompt, chosen and rejected)`);
  if (rejected === undefined) throw new DataRowError(loc, `field "rejected": missing (a preference row needs prompt, chosen and rejected)`);
  const chosenIsList = Array.isArray(chosen);
  const rejectedIsList = Array.isArray(rejected);
  if (chosenIsList !== rejectedIsList) {
    throw new DataRowError(loc, `fields "chosen"/"rejected": both must be message lists or both strings, found ${describe(chosen)} and ${describe(rejected)}`);
  }
  const promptIsList = Array.isArray(prompt);

  if (!chosenIsList) {
    // Shape 3: plain strings.
    const p = promptIsList ? messages(loc, 'prompt', prompt) : [{ role: 'user', content: text(loc, 'prompt', prompt) }];
    if (promptIsList) requirePromptEndsWithUser(loc, 'prompt', p);
    return {
      loc,
      prompt: p,
      chosen: [{ role: 'assistant', content: text(loc, 'chosen', chosen) }],
      rejected: [{ role: 'assistant', content: text(loc, 'rejected', rejected) }],
    };
  }

  const c = messages(loc, 'chosen', chosen);
  const r = messages(loc, 'rejected', rejected);
  requireLastAssistant(loc, 'chosen', c);
  requireLastAssistant(loc, 'rejected', r);

  if (promptIsList && isMessageList(prompt)) {
    // Shape 2: OpenAI-format prompt list; responses rendered whole.
    const p = messages(loc, 'prompt', prompt);
    requirePromptEndsWithUser(loc, 'prompt', p);
    return { loc, prompt: p, chosen: c, rejected: r };
  }

  // Shape 1: history inside chosen/rejected.
  const historyC = c.slice(0, -1);
  const historyR = r.slice(0, -1);
  if (historyC.length === 0 && historyR.length === 0) {
    if (prompt === undefined) throw new DataRowError(loc, `field "prompt": missing, and "chosen" holds only the reply (no conversation to answer)`);
    return { loc, prompt: [{ role: 'user', content: text(loc, 'prompt', prompt) }], chosen: c.slice(-1), rejected: r.slice(-1) };
  }
  const diff = sameMessages(historyC, historyR);
  if (diff !== -1) {
    throw new DataRowError(
      loc,
      `fields "chosen"/"rejected": the two conversations differ before the reply (first at message ${diff}: ` +
        `chosen has ${historyC[diff] ? `a ${historyC[diff]!.role} message` : 'nothing'}, rejected has ${historyR[diff] ? `a ${historyR[diff]!.role} message` : 'nothing'}); ` +
        `both replies must answer the same prompt`,
    );
  }
  requirePromptEndsWithUser(loc, 'chosen', historyC);
  return { loc, prompt: historyC, chosen: c.slice(-1), rejected: r.slice(-1) };
}

/** One SFT row → SftExample: `messages` list, or `{prompt, completion}` strings. */
export function toSftExample(record: RawRecord, loc: RowLocation): SftExample {
  if (record.messages !== undefined) {
    const m = messages(loc, 'messages', record.messages);
    if (!m.some((x) => x.role === 'assistant')) throw new DataRowError(loc, `field "messages": no assistant message, so nothing to train on`);
    return { loc, messages: m };
  }
  if (record.prompt !== undefined && record.completion !== undefined) {
    return {
      loc,
      messages: [
        { role: 'user', content: text(loc, 'prompt', record.prompt) },
        { role: 'assistant', content: text(loc, 'completion', record.completion) },
      ],
    };
  }
  throw new DataRowError(loc, `field "messages": missing (an SFT row needs a messages list, or prompt and completion strings)`);
}
