/**
 * Pair batches on the worked examples of spec §1.7 with exact arrays, both POET alignments, cut vs mask,
 * the degenerate k = 0 guard, SFT batches and length-grouped ordering.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPairBatch, buildSftBatch, lengthGroupedOrder, pairCost, shuffledOrder } from '../../src/data/batch.ts';
import type { PairBatch } from '../../src/data/batch.ts';
import type { TokenizedPair } from '../../src/data/types.ts';

const _ = -100;
const P = 0; // pad id
const B_ = 1; // BOS
const E = 2; // EOS

function pair(prompt: number[], chosen: number[], rejected: number[], rejectedPrompt = prompt): TokenizedPair {
  return {
    chosenIds: Int32Array.from([...prompt, ...chosen]),
    chosenPromptLen: prompt.length,
    rejectedIds: Int32Array.from([...rejectedPrompt, ...rejected]),
    rejectedPromptLen: rejectedPrompt.length,
    truncation: 0,
  };
}

function rows(b: PairBatch, a: ArrayLike<number>): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < 2 * b.pairs; r++) out.push(Array.from(a as Int32Array).slice(r * b.length, (r + 1) * b.length));
  return out;
}

// Example 1: prompt [B,p1,p2,p3], chosen [c1,c2,c3,E], rejected [r1,r2,E]  (p=11.., c=21.., r=31..)
const ex1 = pair([B_, 11, 12, 13], [21, 22, 23, E], [31, 32, E]);

test('spec §1.7 example 1 without POET: layout [chosen; rejected], right padding, shifted targets', () => {
  const b = buildPairBatch([ex1], { padId: P, usePoet: false, needTail: false });
  assert.equal(b.length, 8);
  assert.deepEqual(rows(b, b.inputIds), [
    [1, 11, 12, 13, 21, 22, 23, 2],
    [1, 11, 12, 13, 31, 32, 2, P],
  ]);
  assert.deepEqual(rows(b, b.targets), [
    [_, _, _, 21, 22, 23, 2, _],
    [_, _, _, 31, 32, 2, _, _],
  ]);
  assert.deepEqual(rows(b, b.scoreMask), [
    [0, 0, 0, 1, 1, 1, 1, 0],
    [0, 0, 0, 1, 1, 1, 0, 0],
  ]);
  assert.deepEqual(Array.from(b.scoredCounts), [4, 3]);
  assert.equal(b.poetK, null);
  assert.equal(b.cut, false);
});

test('spec §1.7 example 1 with POET, masked (needTail): chosen scores c1..c3 (EOS dropped), rejected r1,r2,E', () => {
  const b = buildPairBatch([ex1], { padId: P, usePoet: true, needTail: true });
  assert.equal(b.length, 8);
  assert.deepEqual(rows(b, b.scoreMask), [
    [0, 0, 0, 1, 1, 1, 0, 0],
    [0, 0, 0, 1, 1, 1, 0, 0],
  ]);
  assert.deepEqual(rows(b, b.nllMask!), [
    [0, 0, 0, 1, 1, 1, 1, 0], // all chosen response tokens, not POETed (spec §1.4)
    [0, 0, 0, 0, 0, 0, 0, 0],
  ]);
  assert.deepEqual(Array.from(b.poetK!), [3]);
  assert.deepEqual(Array.from(b.scoredCounts), [3, 3]);
});

test('spec §1.7 example 1 with POET, cut: rows physically end at prompt + k, L = 7', () => {
  const b = buildPairBatch([ex1], { padId: P, usePoet: true, needTail: false });
  assert.equal(b.cut, true);
  assert.equal(b.length, 7);
  assert.deepEqual(rows(b, b.inputIds), [
    [1, 11, 12, 13, 21, 22, 23],
    [1, 11, 12, 13, 31, 32, 2],
  ]);
  assert.deepEqual(rows(b, b.targets), [
    [_, _, _, 21, 22, 23, _],
    [_, _, _, 31, 32, 2, _],
  ]);
  assert.deepEqual(rows(b, b.scoreMask), [
    [0, 0, 0, 1, 1, 1, 0],
    [0, 0, 0, 1, 1, 1, 0],
  ]);
  assert.equal(b.nllMask, null);
  assert.deepEqual(Array.from(b.seqLens), [7, 7]);
});

// Example 2: pair A prompt [B,a1,a2], chosen [x1..x4,E], rejected [y1,E];
//            pair B prompt [B,b1..b4], chosen [u1,E], rejected [v1,v2,v3,E].
const exA = pair([B_, 41, 42], [51, 52, 53, 54, E], [61, E]);
const exB = pair([B_, 71, 72, 73, 74], [81, E], [91, 92, 93, E]);

test('spec §1.7 example 2: two pairs with different prompt lengths, L = 9, k = 2 each', () => {
  const b = buildPairBatch([exA, exB], { padId: P, usePoet: true, needTail: true });
  assert.equal(b.length, 9);
  assert.deepEqual(rows(b, b.targets), [
    [_, _, 51, 52, 53, 54, 2, _, _],
    [_, _, _, _, 81, 2, _, _, _],
    [_, _, 61, 2, _, _, _, _, _],
    [_, _, _, _, 91, 92, 93, 2, _],
  ]);
  // The spec's shifted masks (j = 0..7) plus our always-zero last column.
  assert.deepEqual(rows(b, b.scoreMask), [
    [0, 0, 1, 1, 0, 0, 0, 0, 0], // A chosen scores x1, x2
    [0, 0, 0, 0, 1, 1, 0, 0, 0], // B chosen scores u1, E
    [0, 0, 1, 1, 0, 0, 0, 0, 0], // A rejected scores y1, E
    [0, 0, 0, 0, 1, 1, 0, 0, 0], // B rejected scores v1, v2
  ]);
  assert.deepEqual(Array.from(b.poetK!), [2, 2]);
  const positional = buildPairBatch([exA, exB], { padId: P, usePoet: true, needTail: true, poetAlignment: 'positional' });
  assert.deepEqual(Array.from(positional.scoreMask), Array.from(b.scoreMask));
  // Cut: every row ends at prompt + 2; L = max(3+2, 5+2) = 7.
  const c = buildPairBatch([exA, exB], { padId: P, usePoet: true, needTail: false });
  assert.equal(c.length, 7);
  assert.deepEqual(rows(c, c.inputIds), [
    [1, 41, 42, 51, 52, P, P],
    [1, 71, 72, 73, 74, 81, 2],
    [1, 41, 42, 61, 2, P, P],
    [1, 71, 72, 73, 74, 91, 92],
  ]);
});

test('spec §1.7 example 4: prompts differing by a merged token — response alignment vs the original positional AND', () => {
  // chosen prompt 4 tokens, response at 4..6; rejected prompt 3 tokens, response at 3..5.
  const p = pair([B_, 11, 12, 13], [21, 22, E], [31, 32, E], [B_, 11, 12]);
  const ours = buildPairBatch([p], { padId: P, usePoet: true, needTail: true });
  assert.deepEqual(rows(ours, ours.scoreMask), [
    [0, 0, 0, 1, 1, 1, 0],
    [0, 0, 1, 1, 1, 0, 0],
  ]);
  assert.deepEqual(Array.from(ours.poetK!), [3]); // min(3, 3)
  const orig = buildPairBatch([p], { padId: P, usePoet: true, needTail: true, poetAlignment: 'positional' });
  assert.deepEqual(rows(orig, orig.scoreMask), [
    [0, 0, 0, 1, 1, 0, 0], // positions 4..5 only: 2 tokens each
    [0, 0, 0, 1, 1, 0, 0], // the rejected side's first response token (31) is dropped
  ]);
  assert.deepEqual(Array.from(orig.poetK!), [2]);
});

test('spec §1.7 example 5: a pair with nothing to score is marked invalid and scores nothing (no 0/0)', () => {
  // The chosen response was truncated to nothing (e.g. max_completion_length = 0).
  const p = pair([B_, 11, 12], [], [31, E]);
  for (const usePoet of [false, true]) {
    const b = buildPairBatch([p, ex1], { padId: P, usePoet, needTail: false });
    assert.deepEqual(Array.from(b.pairValid), [0, 1]);
    assert.deepEqual(Array.from(b.scoredCounts), [0, usePoet ? 3 : 4, 0, 3]);
    assert.equal(b.scoreMask.slice(0, b.length).reduce((s, x) => s + x, 0), 0);
    assert.equal(b.scoreMask.slice(2 * b.length, 3 * b.length).reduce((s, x) => s + x, 0), 0);
  }
});

test('an empty prompt (keep_start with max_prompt_length 0) never scores token 0, which nothing predicts', () => {
  const p = pair([], [21, 22, E], [31, E]);
  const b = buildPairBatch([p], { padId: P, usePoet: false, needTail: false });
  assert.deepEqual(rows(b, b.targets), [
    [22, 2, _],
    [2, _, _],
  ]);
  assert.deepEqual(Array.from(b.responseLens), [2, 1]);
});

test('pairCost follows the cut', () => {
  assert.equal(pairCost(ex1, false), 8);
  assert.equal(pairCost(ex1, true), 7);
});

test('SFT batch: right padding, shifted targets on scored tokens only', () => {
  const b = buildSftBatch(
    [
      { ids: Int32Array.from([1, 5, 6, 7, 2]), scored: Uint8Array.from([0, 0, 1, 1, 1]), truncated: false },
      { ids: Int32Array.from([1, 8, 9]), scored: Uint8Array.from([0, 0, 1]), truncated: false },
    ],
    P,
  );
  assert.equal(b.length, 5);
  assert.deepEqual(Array.from(b.inputIds), [1, 5, 6, 7, 2, 1, 8, 9, P, P]);
  assert.deepEqual(Array.from(b.targets), [_, 6, 7, 2, _, _, 9, _, _, _]);
  assert.deepEqual(Array.from(b.lossMask), [0, 1, 1, 1, 0, 0, 1, 0, 0, 0]);
});

test('length-grouped order: a permutation, sorted inside megabatches, longest first', () => {
  const lengths = Array.from({ length: 200 }, (_, i) => (i * 37) % 101);
  const o = lengthGroupedOrder(lengths, 2, 42);
  assert.deepEqual([...o].sort((a, b) => a - b), [...Array(200).keys()]);
  assert.equal(lengths[o[0]!], Math.max(...lengths));
  const mega = Math.min(Math.floor(200 / 8), 50) * 2; // 50
  for (let m = 0; m < 200; m += mega) {
    const seg = [...o.slice(m, m + mega)].map((i) => lengths[i]!);
    for (let i = 2; i < seg.length; i++) assert.ok(seg[i - 1]! >= seg[i]!, `megabatch at ${m} sorted`);
  }
  assert.deepEqual([...lengthGroupedOrder(lengths, 2, 42)], [...o]);
  assert.notDeepEqual([...shuffledOrder(50, 42, 0)], [...shuffledOrder(50, 42, 1)]);
});
