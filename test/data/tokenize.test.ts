/**
 * tokenize_row branches with exact id arrays (hand-stated), spec §1.7 example 3, and the full
 * format → tokenize path on poet's byte tokenizer (id = byte value, <s>=256, </s>=257, <pad>=258,
 * <|system|>=259, <|user|>=260, <|assistant|>=261), including a real prompt/answer merge.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { formatPair } from '../../src/data/format.ts';
import { buildTokenizedAnswer, defaultLengths, labelsOf, PairEncoder, tokenizePair, truncatePair } from '../../src/data/tokenize.ts';
import { TRUNC_COMPLETION, TRUNC_PROMPT, TRUNC_RESPONSE } from '../../src/data/types.ts';
import type { PreferenceExample } from '../../src/data/types.ts';
import { loadTokenizer, writeTokenizerFiles } from '../../src/tokenizer/index.ts';
import type { PoetTokenizer } from '../../src/tokenizer/index.ts';

const BOS = 1;
const EOS = 2;
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
const L = (maxLength: number, maxPromptLength: number, maxCompletionLength = 1_000_000, truncationMode: 'keep_end' | 'keep_start' = 'keep_end') => ({
  maxLength,
  maxPromptLength,
  maxCompletionLength,
  truncationMode,
});
const ids = (x: Int32Array) => Array.from(x);

test('build_tokenized_answer: start moves back one token when the prompt ids are not a prefix', () => {
  assert.deepEqual(buildTokenizedAnswer([5, 6, 7, 8], [5, 6]), { prompt: [5, 6], answer: [7, 8] });
  // [5, 6] + [7] merged into [5, 67]: the prompt keeps [5], the merged token is the answer's.
  assert.deepEqual(buildTokenizedAnswer([5, 67, 8], [5, 6]), { prompt: [5], answer: [67, 8] });
});

test('no truncation: BOS prepended, EOS appended once, labels -100 on the prompt', () => {
  const p = truncatePair({ prompt: [10, 11], answer: [20, 21] }, { prompt: [10, 11], answer: [30, EOS] }, BOS, EOS, L(100, 50));
  assert.deepEqual(ids(p.chosenIds), [1, 10, 11, 20, 21, 2]);
  assert.deepEqual(ids(p.rejectedIds), [1, 10, 11, 30, 2]);
  assert.deepEqual(ids(labelsOf(p.chosenIds, p.chosenPromptLen)), [-100, -100, -100, 20, 21, 2]);
  assert.equal(p.truncation, 0);
  // BOS already present: not doubled; empty answer gets EOS.
  const q = truncatePair({ prompt: [BOS, 10], answer: [] }, { prompt: [BOS, 10], answer: [7] }, BOS, EOS, L(100, 50));
  assert.deepEqual(ids(q.chosenIds), [1, 10, 2]);
  assert.deepEqual(ids(q.rejectedIds), [1, 10, 7, 2]);
});

test('keep_end prompt truncation keeps the last max_prompt_length tokens and drops BOS (spec §8.8)', () => {
  // prompt 1+7 = 8, longer answer 3 (with EOS): 11 > 10 → prompt[-6:], then 6 + 3 ≤ 10: answers intact.
  const p = truncatePair({ prompt: range(10, 7), answer: [20, 21] }, { prompt: range(10, 7), answer: [30] }, BOS, EOS, L(10, 6));
  assert.deepEqual(ids(p.chosenIds), [11, 12, 13, 14, 15, 16, 20, 21, 2]);
  assert.deepEqual(ids(p.rejectedIds), [11, 12, 13, 14, 15, 16, 30, 2]);
  assert.equal(p.chosenPromptLen, 6);
  assert.equal(p.truncation, TRUNC_PROMPT);
});

test('keep_start prompt truncation keeps the first tokens (BOS survives)', () => {
  const p = truncatePair({ prompt: range(10, 7), answer: [20, 21] }, { prompt: range(10, 7), answer: [30] }, BOS, EOS, L(10, 6, 1_000_000, 'keep_start'));
  assert.deepEqual(ids(p.chosenIds), [1, 10, 11, 12, 13, 14, 20, 21, 2]);
});

test('prompt only triggers when prompt + LONGER answer overflows; a long prompt that fits is kept (spec §8.8)', () => {
  const p = truncatePair({ prompt: range(10, 7), answer: [] }, { prompt: range(10, 7), answer: [] }, BOS, EOS, L(10, 3));
  assert.deepEqual(ids(p.chosenIds), [1, 10, 11, 12, 13, 14, 15, 16, 2]); // 9 ≤ 10: 8 prompt tokens > 3 stay
  assert.equal(p.truncation, 0);
});

test('response truncation cuts BOTH answers to max_length - max_prompt_length, by the longer one (spec §8.7)', () => {
  // prompt 1+5 = 6, chosen 6+EOS = 7, rejected 4+EOS = 5: 6 + 7 > 10 → prompt[-6:] (unchanged),
  // still 6 + 7 > 10 → both answers [:10-6] = [:4].
  const p = truncatePair({ prompt: range(10, 5), answer: range(20, 6) }, { prompt: range(10, 5), answer: range(30, 4) }, BOS, EOS, L(10, 6));
  assert.deepEqual(ids(p.chosenIds), [1, 10, 11, 12, 13, 14, 20, 21, 22, 23]); // EOS lost
  assert.deepEqual(ids(p.rejectedIds), [1, 10, 11, 12, 13, 14, 30, 31, 32, 33]); // EOS lost too: 6 + 5 > 10
  assert.equal(p.truncation, TRUNC_PROMPT | TRUNC_RESPONSE);
  // A shorter answer that alone would fit (prompt 4 + 5 = 9 ≤ 12) is still cut to 12 - 8 = 4.
  const q = truncatePair({ prompt: range(10, 3), answer: range(20, 9) }, { prompt: range(10, 3), answer: range(30, 4) }, BOS, EOS, L(12, 8));
  assert.deepEqual(ids(q.rejectedIds), [1, 10, 11, 12, 30, 31, 32, 33]);
  assert.deepEqual(ids(q.chosenIds), [1, 10, 11, 12, 20, 21, 22, 23]);
});

test('max_completion_length cuts each answer after the other truncations', () => {
  const p = truncatePair({ prompt: [10], answer: [20, 21, 22] }, { prompt: [10], answer: [30] }, BOS, EOS, L(100, 50, 2));
  assert.deepEqual(ids(p.chosenIds), [1, 10, 20, 21]);
  assert.deepEqual(ids(p.rejectedIds), [1, 10, 30, 2]);
  assert.equal(p.truncation, TRUNC_COMPLETION);
});

test('spec §1.7 example 3: 1900-token prompt, answers 300 / 100, max 2048 / 1800, keep_end', () => {
  const prompt = [BOS, ...range(100, 1899)];
  const chosen = [...range(5000, 299), EOS];
  const rejected = [...range(7000, 99), EOS];
  const p = truncatePair({ prompt, answer: chosen }, { prompt, answer: rejected }, BOS, EOS, L(2048, 1800));
  assert.equal(p.chosenPromptLen, 1800);
  assert.deepEqual(ids(p.chosenIds.subarray(0, 1800)), prompt.slice(-1800)); // BOS gone
  assert.deepEqual(ids(p.chosenIds.subarray(1800)), chosen.slice(0, 248)); // no EOS any more
  assert.deepEqual(ids(p.rejectedIds.subarray(1800)), rejected); // 100 < 248: intact
  assert.equal(p.rejectedIds.length, 1900);
});

test('prompts differing in more than the last token are rejected', () => {
  assert.throws(() => truncatePair({ prompt: [5, 6, 7], answer: [1] }, { prompt: [5], answer: [1] }, BOS, EOS, L(100, 50)), /differ only in the last token/);
  assert.throws(() => truncatePair({ prompt: [5, 6, 7], answer: [1] }, { prompt: [9, 6, 8], answer: [1] }, BOS, EOS, L(100, 50)), /2 differing ids/);
});

test('length defaults per trainer (spec §2.1, §2.2)', () => {
  assert.deepEqual(defaultLengths('simpo', {}), { maxLength: 512, maxPromptLength: 128, maxCompletionLength: 512 });
  assert.deepEqual(defaultLengths('dpo', {}), { maxLength: 512, maxPromptLength: 128, maxCompletionLength: 1_000_000 });
  assert.deepEqual(defaultLengths('simpo', { maxLength: 2048, maxPromptLength: 1800 }), { maxLength: 2048, maxPromptLength: 1800, maxCompletionLength: 2048 });
});

// ------------------------------------------------------------------------------------------------
// With the real byte tokenizer

let dir: string;
let zephyr: PoetTokenizer;
const uf = (user: string, a: string, b: string): PreferenceExample => ({
  loc: { file: 'x', row: 0 },
  prompt: [{ role: 'user', content: user }],
  chosen: [{ role: 'assistant', content: a }],
  rejected: [{ role: 'assistant', content: b }],
});
const bytes = (s: string) => [...Buffer.from(s)];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'poet-data-tok-'));
  await writeTokenizerFiles('byte', join(dir, 'byte'));
  zephyr = await loadTokenizer(join(dir, 'byte'));
});

test('Zephyr template on the byte tokenizer: exact strings and ids (empty system inserted, extra EOS, spec §3.3, §8.9)', () => {
  const f = formatPair(uf('hi', 'ok', 'no!'), zephyr, { autoInsertEmptySystemMsg: true });
  assert.deepEqual(f, { prompt: '<|system|>\n</s>\n<|user|>\nhi</s>\n', chosen: '<|assistant|>\nok</s>\n', rejected: '<|assistant|>\nno!</s>\n' });
  const enc = new PairEncoder(zephyr);
  const p = tokenizePair(enc, f, zephyr.bosTokenId, zephyr.eosTokenId, L(100, 50));
  const prompt = [256, 259, 10, 257, 10, 260, 10, ...bytes('hi'), 257, 10];
  assert.deepEqual(ids(p.chosenIds), [...prompt, 261, 10, ...bytes('ok'), 257, 10, 257]);
  assert.deepEqual(ids(p.rejectedIds), [...prompt, 261, 10, ...bytes('no!'), 257, 10, 257]);
  assert.equal(p.chosenPromptLen, prompt.length);
  assert.equal(enc.shortcutUsed, 2, 'answers start with the added token <|assistant|>: prompt ids reused');
  assert.equal(enc.shortcutDisabledReason, null);
  // Without the system rule the prompt starts at <|user|>.
  const g = formatPair(uf('hi', 'ok', 'no!'), zephyr, { autoInsertEmptySystemMsg: false });
  assert.equal(g.prompt, '<|user|>\nhi</s>\n');
});

test('shortcut and full encoding agree, and the shortcut stays off without a boundary token', () => {
  const f = formatPair(uf('what  is\n2+2?', ' four ', 'five'), zephyr, { autoInsertEmptySystemMsg: true });
  const a = tokenizePair(new PairEncoder(zephyr), f, 256, 257, L(100, 50));
  const b = tokenizePair(new PairEncoder(zephyr, { shortcut: false }), f, 256, 257, L(100, 50));
  assert.deepEqual(ids(a.chosenIds), ids(b.chosenIds));
  assert.deepEqual(ids(a.rejectedIds), ids(b.rejectedIds));
  const enc = new PairEncoder(zephyr);
  enc.encodeJoined('abc', zephyr.encode('abc', { addSpecialTokens: false }), 'def');
  assert.equal(enc.shortcutUsed, 0);
});

test('Gemma-2 template as override: BOS string stripped from responses, <eos> appended after <end_of_turn>\\n', async () => {
  const gemma = await loadTokenizer(join(dir, 'byte'), { chatTemplate: 'gemma2' });
  const f = formatPair(uf(' hi ', 'ok', 'no'), gemma, { autoInsertEmptySystemMsg: true });
  // System message inserted (the template mentions "system"), empty → "\n\n" trimmed away (spec §3.3).
  assert.deepEqual(f, { prompt: '<s><start_of_turn>user\nhi<end_of_turn>\n', chosen: '<start_of_turn>model\nok<end_of_turn>\n', rejected: '<start_of_turn>model\nno<end_of_turn>\n' });
  const p = tokenizePair(new PairEncoder(gemma), f, gemma.bosTokenId, gemma.eosTokenId, L(100, 50));
  // "<s>" in the text is the added BOS token 256, so no second BOS is prepended.
  assert.deepEqual(ids(p.chosenIds), [256, ...bytes('<start_of_turn>user\nhi<end_of_turn>\n'), ...bytes('<start_of_turn>model\nok<end_of_turn>\n'), 257]);
});

test('a real merge at the prompt/answer boundary (spec §1.7 example 4) on a byte tokenizer with the merge "a b"', async () => {
  const mdir = join(dir, 'merge');
  await writeTokenizerFiles('byte', mdir);
  const tj = JSON.parse(readFileSync(join(mdir, 'tokenizer.json'), 'utf8'));
  tj.model.vocab['ab'] = 262;
  tj.model.merges = ['a b'];
  writeFileSync(join(mdir, 'tokenizer.json'), JSON.stringify(tj));
  const tok = await loadTokenizer(mdir, { chatTemplate: "{% for m in messages %}{{ m['content'] }}{% endfor %}" });
  assert.deepEqual(tok.encode('xab', { addSpecialTokens: false }), [120, 262]);
  const f = formatPair(uf('xa', 'bc', 'dd'), tok, { autoInsertEmptySystemMsg: true });
  assert.deepEqual(f, { prompt: 'xa', chosen: 'bc', rejected: 'dd' });
  const p = tokenizePair(new PairEncoder(tok), f, 256, 257, L(100, 50));
  assert.deepEqual(ids(p.chosenIds), [256, 120, 262, 99, 257]);
  assert.equal(p.chosenPromptLen, 2);
  assert.deepEqual(ids(p.rejectedIds), [256, 120, 97, 100, 100, 257]);
  assert.equal(p.rejectedPromptLen, 3);
});
