/**
 * SFT conversations → ids + a mask of scored tokens, for the SFT trainer.
 *
 * Rule (alignment-handbook style, loss on the assistant turns only):
 *  - messages get the empty system message by the same rule as preference prompts (format.ts), then the
 *    whole conversation is rendered once with the chat template and encoded without special tokens;
 *  - BOS is prepended unless the rendered text already starts with it (same rule as tokenize_row);
 *  - a token is scored iff it lies inside an assistant turn: for assistant message i the turn is the
 *    token range between enc(template(messages[:i])) and enc(template(messages[:i+1])), each measured as
 *    the longest common prefix with the full encoding (so a merge across a turn boundary moves the
 *    boundary by a token instead of breaking it). The template's own turn markers and terminators that
 *    it renders inside the assistant turn (`<|assistant|>\n … </s>\n`, `<|eot_id|>`) are therefore scored,
 *    as the preference trainers score them (spec §1.6); no extra EOS is appended;
 *  - sequences longer than `maxLength` keep their first `maxLength` tokens.
 */
import { maybeInsertSystemMessage } from '../tokenizer/index.ts';
import type { TemplateRenderer } from './format.ts';
import type { TextEncoder_ } from './tokenize.ts';
import type { ChatMessage, SftExample, TokenizedSft } from './types.ts';

function commonPrefix(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

export function tokenizeSft(
  ex: SftExample,
  tok: TemplateRenderer & TextEncoder_,
  opts: { maxLength: number; autoInsertEmptySystemMsg: boolean },
): TokenizedSft {
  const messages: ChatMessage[] = opts.autoInsertEmptySystemMsg ? maybeInsertSystemMessage(ex.messages, tok.chatTemplate) : ex.messages;
  const enc = (m: ChatMessage[]) => (m.length === 0 ? [] : tok.encode(tok.applyChatTemplate(m), { addSpecialTokens: false }));
  let ids = enc(messages);
  let scored = new Uint8Array(ids.length);
  for (let i = 0; i < messages.length; i++) {
    if (messages[i]!.role !== 'assistant') continue;
    const from = commonPrefix(enc(messages.slice(0, i)), ids);
    const to = commonPrefix(enc(messages.slice(0, i + 1)), ids);
    scored.fill(1, from, Math.max(from, to));
  }
  const bos = tok.bosTokenId;
  if (bos !== null && (ids.length === 0 || ids[0] !== bos)) {
    ids = [bos, ...ids];
    const s = new Uint8Array(scored.length + 1);
    s.set(scored, 1);
    scored = s;
  }
  const truncated = ids.length > opts.maxLength;
  const n = Math.min(ids.length, opts.maxLength);
  return { ids: Int32Array.from(ids.slice(0, n)), scored: scored.slice(0, n), truncated };
}
