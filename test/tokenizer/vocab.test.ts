/**
 * The rebuilt vocabularies against the packages' own encoders (independent BPE implementations):
 * js-tiktoken for GPT-2, llama3-tokenizer-js, mistral-tokenizer-js, and plain UTF-8 for `byte`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { getEncoding } from 'js-tiktoken';
import llama3Ref from 'llama3-tokenizer-js';
import mistralRef from 'mistral-tokenizer-js';
import { loadTokenizer, type PoetTokenizer } from '../../src/tokenizer/load.ts';
import { writeTokenizerFiles } from '../../src/tokenizer/build.ts';
import { scratchDir, tokenizerDir } from './helpers.ts';

/** Strings exercising the pre-tokenizers: contractions, digits, runs of spaces, newlines, non-Latin, emoji, code. */
const STRINGS = [
  'Hello world!',
  "I'm sure they'll say it's fine, won't they? WE'RE READY.",
  'The year 2024 had 366 days; 1234567 is a long number, 3.14159 too.',
  '  leading spaces, trailing spaces   ',
  'tabs\tand\nnewlines\n\n\nand\r\nCRLF',
  'Héllo wörld — naïve café, Ελληνικά, русский текст.',
  '日本語のテキストと中文文本，还有한국어.',
  'Emoji: 😀🎉👍🏽 and a family 👨‍👩‍👧‍👦!',
  'def f(x):\n    return x ** 2  # square\n\nprint(f(3))',
  '<div class="a">&amp; {json: [1, 2, 3]}</div>',
  'What is 2+2? It is 4.',
  'a',
  ' ',
];

function assertTable(name: string, tok: PoetTokenizer, expected: (s: string) => number[], addSpecialTokens: boolean) {
  for (const s of STRINGS) {
    assert.deepEqual(tok.encode(s, { addSpecialTokens }), expected(s), `${name}: ids differ for ${JSON.stringify(s)}`);
  }
}

function assertRoundTrips(name: string, tok: PoetTokenizer) {
  for (const s of STRINGS) {
    const ids = tok.encode(s, { addSpecialTokens: true });
    assert.equal(tok.decode(ids, { skipSpecialTokens: true }), s, `${name}: round trip of ${JSON.stringify(s)}`);
  }
}

test('gpt2: ids equal js-tiktoken, decode round-trips, <|endoftext|> is one special id', async () => {
  const { dir, info } = await tokenizerDir('gpt2');
  const tok = await loadTokenizer(dir);
  const ref = getEncoding('gpt2');
  assert.equal(tok.vocabSize, 50257);
  assert.deepEqual(info, { kind: 'gpt2', vocabSize: 50257, bosTokenId: 50256, eosTokenId: 50256, padTokenId: 50256 });
  // GPT-2 adds no special tokens, so both settings must equal the reference.
  assertTable('gpt2', tok, (s) => ref.encode(s), true);
  assertTable('gpt2', tok, (s) => ref.encode(s), false);
  assertRoundTrips('gpt2', tok);
  const withEot = 'end of doc<|endoftext|>next doc';
  assert.deepEqual(tok.encode(withEot), ref.encode(withEot, 'all'));
  assert.equal(tok.decode(tok.encode(withEot), { skipSpecialTokens: true }), 'end of docnext doc');
  // No pad token in GPT-2: pad falls back to EOS (get_tokenizer).
  assert.equal(tok.padToken, '<|endoftext|>');
  assert.equal(tok.padTokenId, 50256);
  assert.equal(tok.modelMaxLength, 1024);
  const tj = JSON.parse(readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'));
  assert.equal(tj.model.merges.length, 50000, 'GPT-2 has exactly 50,000 merges');
});

test('llama3: ids equal llama3-tokenizer-js (with and without BOS), specials split out, pad = eos', async () => {
  const { dir, info } = await tokenizerDir('llama3');
  const tok = await loadTokenizer(dir);
  assert.equal(tok.vocabSize, 128256);
  assert.deepEqual(info, { kind: 'llama3', vocabSize: 128256, bosTokenId: 128000, eosTokenId: 128009, padTokenId: 128009 });
  assertTable('llama3', tok, (s) => llama3Ref.encode(s, { bos: false, eos: false }), false);
  assertTable('llama3', tok, (s) => llama3Ref.encode(s, { bos: true, eos: false }), true);
  assertRoundTrips('llama3', tok);
  const chat = '<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>';
  assert.deepEqual(tok.encode(chat, { addSpecialTokens: false }), llama3Ref.encode(chat, { bos: false, eos: false }));
  assert.deepEqual(tok.encode(chat, { addSpecialTokens: false }).slice(0, 2), [128006, 882]);
  assert.equal(tok.bosToken, '<|begin_of_text|>');
  assert.equal(tok.eosToken, '<|eot_id|>');
  assert.equal(tok.padTokenId, tok.eosTokenId);
  assert.equal(tok.convertTokensToIds('<|end_of_text|>'), 128001);
  assert.equal(tok.convertTokensToIds('<|python_tag|>'), llama3Ref.getSpecialTokenId('<|python_tag|>'));
  // Meta's config says int(1e30); get_tokenizer clamps anything above 100,000 to 2048.
  assert.equal(tok.modelMaxLength, 2048);
  assert.match(readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'), /"model_max_length": 1000000000000000019884624838656/);
});

test('mistral: ids equal mistral-tokenizer-js (BOS + leading ▁), byte fallback, round trip', async () => {
  const { dir, info } = await tokenizerDir('mistral');
  const tok = await loadTokenizer(dir);
  assert.equal(tok.vocabSize, 32000);
  assert.deepEqual(info, { kind: 'mistral', vocabSize: 32000, bosTokenId: 1, eosTokenId: 2, padTokenId: 2 });
  // mistral-tokenizer-js.encode(text) = BOS + SentencePiece with a preceding space: HF's add_special_tokens=True.
  assertTable('mistral', tok, (s) => mistralRef.encode(s), true);
  assertTable('mistral', tok, (s) => mistralRef.encode(s, false, true), false);
  assertRoundTrips('mistral', tok);
  // Zephyr configuration (spec §3.3): pad = </s>.
  assert.equal(tok.padToken, '</s>');
  assert.equal(tok.unkTokenId, 0);
  const tj = JSON.parse(readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'));
  assert.equal(tj.model.merges.length, 58980);
  // "\n" has no token of its own: byte fallback gives <0x0A>.
  assert.deepEqual(tok.convertIdsToTokens(tok.encode('a\nb', { addSpecialTokens: false })), ['▁a', '<0x0A>', 'b']);
  // HF (unlike the reference package) splits a literal "</s>" out as the special token.
  assert.deepEqual(tok.encode('hi</s>', { addSpecialTokens: false }).at(-1), 2);
});

test('byte: one id per UTF-8 byte, <s> prepended, role markers are single ids', async () => {
  const { dir, info } = await tokenizerDir('byte');
  const tok = await loadTokenizer(dir);
  assert.deepEqual(info, { kind: 'byte', vocabSize: 262, bosTokenId: 256, eosTokenId: 257, padTokenId: 258 });
  const utf8 = (s: string) => [...new TextEncoder().encode(s)];
  assertTable('byte', tok, (s) => [256, ...utf8(s)], true);
  assertTable('byte', tok, utf8, false);
  assertRoundTrips('byte', tok);
  assert.deepEqual(tok.encode('<|user|>\nhi</s>', { addSpecialTokens: false }), [260, 10, 104, 105, 257]);
  // Role markers are not special: they survive skipSpecialTokens, while <s>, </s>, <pad> do not.
  assert.equal(tok.decode([256, 260, 104, 257, 258], { skipSpecialTokens: true }), '<|user|>h');
  assert.equal(tok.decode([256, 260, 104, 257, 258]), '<s><|user|>h</s><pad>');
  assert.deepEqual([...tok.allSpecialIds].sort(), [256, 257, 258]);
  assert.equal(tok.padToken, '<pad>');
  assert.equal(tok.modelMaxLength, 2048);
});

test('decode: empty input, unknown ids skipped, cleanup only when asked', async () => {
  const { dir } = await tokenizerDir('gpt2');
  const tok = await loadTokenizer(dir);
  assert.equal(tok.decode([]), '');
  assert.equal(tok.decode([15496, 999_999, 995]), 'Hello world');
  const ids = tok.encode('a // b , c');
  assert.equal(tok.decode(ids), 'a // b , c');
  assert.equal(tok.decode(ids, { cleanUpTokenizationSpaces: true }), 'a // b, c');
  assert.equal(tok.cleanUpTokenizationSpaces, false);
  assert.deepEqual(tok.convertTokensToIds(['Hello', 'Ġworld', 'no-such-token']), [15496, 995, 50256]);
});

test('writeTokenizerFiles: configs carry tokens, template and max length; option overrides length', async () => {
  const dir = scratchDir('gpt2-custom');
  await writeTokenizerFiles('gpt2', dir, { modelMaxLength: 256 });
  const cfg = JSON.parse(readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'));
  assert.equal(cfg.model_max_length, 256);
  assert.equal(cfg.eos_token, '<|endoftext|>');
  assert.equal(cfg.clean_up_tokenization_spaces, false);
  assert.match(cfg.chat_template, /<\|assistant\|>/);
  assert.deepEqual(cfg.added_tokens_decoder['50256'].content, '<|endoftext|>');
  const stm = JSON.parse(readFileSync(path.join(dir, 'special_tokens_map.json'), 'utf8'));
  assert.deepEqual(stm, { bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>' });
  assert.equal((await loadTokenizer(dir)).modelMaxLength, 256);
});
