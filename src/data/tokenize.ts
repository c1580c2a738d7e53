/**
 * Prompt/response strings → token ids, exactly as the original's `build_tokenized_answer` and
 * `tokenize_row` (TRL 0.9.6 + POET's `max_completion_length`; spec §3.4–3.5):
 *
 *  build_tokenized_answer(p, a): full = enc(p + a), pIds = enc(p); start = |pIds|, minus 1 when
 *    pIds ≠ full[:start] (the last prompt token merged with the first answer token); the prompt part is
 *    full[:start], the answer part full[start:].
 *  tokenize_row:
 *    1. chosen/rejected prompt ids may differ in at most 1 position and by at most 1 in length, else error;
 *    2. BOS prepended to each side's prompt unless it already starts with it (skipped when the
 *       tokenizer has no BOS — the original would crash on `[None] + ids`);
 *    3. EOS appended to each answer unless it already ends with it;
 *    4. L_long = max(|chosen answer|, |rejected answer|), measured after EOS;
 *    5. for each side: if |prompt| + L_long > max_length, the prompt keeps its first (keep_start) or last
 *       (keep_end, the default, which drops BOS) max_prompt_length tokens;
 *    6. for each side: if still |prompt| + L_long > max_length, the answer keeps its first
 *       max_length - max_prompt_length tokens — both answers, because L_long is the longer one;
 *    7. every answer keeps its first max_completion_length tokens (POET's addition);
 *    8. sequence = prompt + answer; labels = sequence with the first |prompt| set to -100.
 *  Python slice semantics are kept (`x[-0:]` is the whole list, negative stops count from the end).
 *
 * Speed: the original encodes the prompt three times and each prompt+answer once. We encode the prompt
 * once per row and, when provably identical, encode only the answer (see PairEncoder).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TRUNC_COMPLETION, TRUNC_PROMPT, TRUNC_RESPONSE } from './types.ts';
import type { FormattedPair, TokenizedPair, TruncationMode } from './types.ts';

/** What tokenization needs from a tokenizer (PoetTokenizer satisfies it). */
export interface TextEncoder_ {
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  /** Folder of tokenizer.json, used to learn the added tokens for the boundary shortcut. */
  readonly dir?: string;
}

export interface LengthOptions {
  maxLength: number;
  maxPromptLength: number;
  maxCompletionLength: number;
  truncationMode: TruncationMode;
}

/** A row the original would reject with ValueError (prompt ids of chosen and rejected disagree). */
export class TokenizeRowError extends Error {}

/** Python `xs[:n]` for any integer n. */
function headPy(xs: number[], n: number): number[] {
  return xs.slice(0, n);
}
/** Python `xs[-n:]` for n ≥ 0 (n = 0 keeps everything, as in Python). */
function tailPy(xs: number[], n: number): number[] {
  return xs.slice(-n);
}

function sameIds(a: number[], b: number[], n: number): boolean {
  if (a.length < n || b.length < n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Encodes prompt+answer concatenations, reusing the prompt's ids when that is provably identical.
 *
 * Why the shortcut is exact: a Hugging Face tokenizer first splits the input on its added tokens
 * (whole-string matches, taken out before normalisation when `normalized: false`), then normalises,
 * pre-tokenises and runs the model on each remaining segment independently. If the answer `a` starts
 * with an added token T (with `lstrip: false`, so it does not swallow whitespace from the prompt's side)
 * and no added token occurrence straddles the p|a boundary, then the split of p + a is the split of p
 * followed by the split of a, and every segment is encoded the same way: enc(p + a) = enc(p) ++ enc(a).
 * Templates put such a token at the boundary for Llama-3 (`<|start_header_id|>`) and Gemma-2
 * (`<start_of_turn>` is plain text there, so no shortcut), and poet's byte tokenizer (`<|assistant|>`).
 * Tokenizers whose pre-tokeniser looks at a segment's position in the whole string would break the
 * argument, so the first `verifyRows` rows are also encoded the slow way and compared: any difference
 * turns the shortcut off for good (reported by `shortcutDisabledReason`).
 */
export class PairEncoder {
  private readonly tok: TextEncoder_;
  private readonly boundaryTokens: string[];
  private readonly maxTokenLen: number;
  private verifyLeft: number;
  shortcutUsed = 0;
  shortcutDisabledReason: string | null = null;

  constructor(tok: TextEncoder_, opts: { shortcut?: boolean; verifyRows?: number; addedTokens?: string[] } = {}) {
    this.tok = tok;
    this.boundaryTokens = opts.shortcut === false ? [] : (opts.addedTokens ?? readAddedTokens(tok.dir));
    this.maxTokenLen = this.boundaryTokens.reduce((m, t) => Math.max(m, t.length), 0);
    this.verifyLeft = opts.verifyRows ?? 64;
  }

  encode(text: string): number[] {
    return this.tok.encode(text, { addSpecialTokens: false });
  }

  /** enc(prompt + answer), given enc(prompt). */
  encodeJoined(prompt: string, promptIds: number[], answer: string): number[] {
    if (this.shortcutDisabledReason === null && this.shortcutApplies(prompt, answer)) {
      const fast = promptIds.concat(this.encode(answer));
      if (this.verifyLeft > 0) {
        this.verifyLeft--;
        const slow = this.encode(prompt + answer);
        if (slow.length !== fast.length || !sameIds(slow, fast, slow.length)) {
          this.shortcutDisabledReason = `enc(prompt + answer) ≠ enc(prompt) + enc(answer) for this tokenizer; encoding the concatenation from now on`;
          return slow;
        }
      }
      this.shortcutUsed++;
      return fast;
    }
    return this.encode(prompt + answer);
  }

  private shortcutApplies(prompt: string, answer: string): boolean {
    if (this.boundaryTokens.length === 0 || prompt.length === 0) return false;
    if (!this.boundaryTokens.some((t) => answer.startsWith(t))) return false;
    // No added token may straddle the boundary: look at a window around it.
    const k = this.maxTokenLen - 1;
    const left = prompt.slice(-k);
    const window = left + answer.slice(0, k);
    for (const t of this.boundaryTokens) {
      for (let i = window.indexOf(t); i !== -1 && i < left.length; i = window.indexOf(t, i + 1)) {
        if (i + t.length > left.length) return false;
      }
    }
    return true;
  }
}

/** Added tokens usable at a boundary: not normalised, no lstrip (see PairEncoder). */
function readAddedTokens(dir: string | undefined): string[] {
  if (!dir) return [];
  try {
    const tj = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as { added_tokens?: Array<{ content: string; lstrip?: boolean; normalized?: boolean }> };
    return (tj.added_tokens ?? []).filter((t) => !t.lstrip && !t.normalized && t.content.length > 0).map((t) => t.content);
  } catch {
    return [];
  }
}

/** build_tokenized_answer (spec §3.4): split enc(prompt + answer) into prompt and answer ids. */
export function buildTokenizedAnswer(fullIds: number[], promptIds: number[]): { prompt: number[]; answer: number[] } {
  let start = promptIds.length;
  if (!sameIds(promptIds, fullIds, start)) start -= 1;
  return { prompt: fullIds.slice(0, start), answer: fullIds.slice(start) };
}

/** tokenize_row (spec §3.5) on already-formatted strings. */
export function tokenizePair(enc: PairEncoder, f: FormattedPair, bosId: number | null, eosId: number | null, len: LengthOptions): TokenizedPair {
  const promptIds = enc.encode(f.prompt);
  const c = buildTokenizedAnswer(enc.encodeJoined(f.prompt, promptIds, f.chosen), promptIds);
  const r = buildTokenizedAnswer(enc.encodeJoined(f.prompt, promptIds, f.rejected), promptIds);
  return truncatePair(c, r, bosId, eosId, len);
}

/** Steps 1–8 of tokenize_row given both build_tokenized_answer results. */
export function truncatePair(
  c: { prompt: number[]; answer: number[] },
  r: { prompt: number[]; answer: number[] },
  bosId: number | null,
  eosId: number | null,
  len: LengthOptions,
): TokenizedPair {
  // 1. Only the last prompt token may differ (a merge on one side).
  const n = Math.min(c.prompt.length, r.prompt.length);
  let numDiff = 0;
  for (let i = 0; i < n; i++) if (c.prompt[i] !== r.prompt[i]) numDiff++;
  if (numDiff > 1 || Math.abs(c.prompt.length - r.prompt.length) > 1) {
    throw new TokenizeRowError(
      `the chosen and rejected prompts tokenize differently (${numDiff} differing ids, lengths ${c.prompt.length} and ${r.prompt.length}); ` +
        `they may differ only in the last token, through a tokenizer merge`,
    );
  }
  let cp = c.prompt;
  let rp = r.prompt;
  let ca = c.answer;
  let ra = r.answer;
  // 2. BOS.
  if (bosId !== null) {
    if (cp.length === 0 || cp[0] !== bosId) cp = [bosId, ...cp];
    if (rp.length === 0 || rp[0] !== bosId) rp = [bosId, ...rp];
  }
  // 3. EOS.
  if (eosId !== null) {
    if (ca.length === 0 || ca[ca.length - 1] !== eosId) ca = [...ca, eosId];
    if (ra.length === 0 || ra[ra.length - 1] !== eosId) ra = [...ra, eosId];
  }
  // 4. The longer answer decides both truncations (spec §8.7).
  const longer = Math.max(ca.length, ra.length);
  let flags = 0;
  // 5. Prompt truncation, per side.
  const cutPrompt = (p: number[]): number[] => {
    if (p.length + longer <= len.maxLength) return p;
    flags |= TRUNC_PROMPT;
    return len.truncationMode === 'keep_start' ? headPy(p, len.maxPromptLength) : tailPy(p, len.maxPromptLength);
  };
  cp = cutPrompt(cp);
  rp = cutPrompt(rp);
  // 6. Response truncation, per side, still measured with the longer answer.
  if (cp.length + longer > len.maxLength) {
    ca = headPy(ca, len.maxLength - len.maxPromptLength);
    flags |= TRUNC_RESPONSE;
  }
  if (rp.length + longer > len.maxLength) {
    ra = headPy(ra, len.maxLength - len.maxPromptLength);
    flags |= TRUNC_RESPONSE;
  }
  // 7. max_completion_length.
  if (ca.length > len.maxCompletionLength || ra.length > len.maxCompletionLength) flags |= TRUNC_COMPLETION;
  ca = headPy(ca, len.maxCompletionLength);
  ra = headPy(ra, len.maxCompletionLength);
  // 8. Sequences; labels are implied by the prompt lengths.
  const chosenIds = new Int32Array(cp.length + ca.length);
  chosenIds.set(cp, 0);
  chosenIds.set(ca, cp.length);
  const rejectedIds = new Int32Array(rp.length + ra.length);
  rejectedIds.set(rp, 0);
  rejectedIds.set(ra, rp.length);
  return { chosenIds, chosenPromptLen: cp.length, rejectedIds, rejectedPromptLen: rp.length, truncation: flags };
}

/** Labels of one side as the original builds them: ids with the prompt positions set to -100. */
export function labelsOf(ids: Int32Array, promptLen: number): Int32Array {
  const labels = Int32Array.from(ids);
  labels.fill(-100, 0, Math.min(promptLen, ids.length));
  return labels;
}

/** Length defaults when the config leaves them unset (spec §2.1 / §2.2). */
export function defaultLengths(trainer: 'dpo' | 'simpo' | 'sft', given: { maxLength?: number | null; maxPromptLength?: number | null; maxCompletionLength?: number | null }): {
  maxLength: number;
  maxPromptLength: number;
  maxCompletionLength: number;
} {
  const maxLength = given.maxLength ?? 512;
  const maxPromptLength = given.maxPromptLength ?? 128;
  const maxCompletionLength = given.maxCompletionLength ?? (trainer === 'dpo' ? 1_000_000 : maxLength);
  return { maxLength, maxPromptLength, maxCompletionLength };
}
