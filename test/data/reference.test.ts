/**
 * Against the independent Python/PyTorch transcription of the original (test/fixtures/data/make_fixtures.py):
 * tokenize_row after build_tokenized_answer (300 random cases: merges, BOS/EOS present or not, every
 * truncation branch, both modes) and the collator + get_batch_logps masks (120 random batches).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildPairBatch } from '../../src/data/batch.ts';
import { labelsOf, TokenizeRowError, truncatePair } from '../../src/data/tokenize.ts';
import type { TokenizedPair, TruncationMode } from '../../src/data/types.ts';

interface Ref {
  bos: number;
  eos: number;
  tokenize_row: Array<{
    input: { chosen: [number[], number[]]; rejected: [number[], number[]]; max_length: number; max_prompt_length: number; max_completion_length: number; mode: TruncationMode };
    output: { error?: string; chosen_input_ids: number[]; chosen_labels: number[]; rejected_input_ids: number[]; rejected_labels: number[] };
  }>;
  batches: Array<{
    rows: Array<{ chosen_input_ids: number[]; chosen_labels: number[]; rejected_input_ids: number[]; rejected_labels: number[] }>;
    use_poet: boolean;
    pad_id: number;
    L: number;
    input_ids: number[][];
    shifted_labels: number[][];
    mask: number[][];
    counts: number[];
  }>;
}

const ref = JSON.parse(readFileSync(new URL('../fixtures/data/reference.json', import.meta.url), 'utf8')) as Ref;

test('tokenize_row matches the reference transcription on 300 random cases', () => {
  let errors = 0;
  for (const [i, c] of ref.tokenize_row.entries()) {
    const lens = { maxLength: c.input.max_length, maxPromptLength: c.input.max_prompt_length, maxCompletionLength: c.input.max_completion_length, truncationMode: c.input.mode };
    const run = () =>
      truncatePair({ prompt: c.input.chosen[0], answer: c.input.chosen[1] }, { prompt: c.input.rejected[0], answer: c.input.rejected[1] }, ref.bos, ref.eos, lens);
    if (c.output.error) {
      assert.throws(run, TokenizeRowError, `case ${i}`);
      errors++;
      continue;
    }
    const p = run();
    assert.deepEqual(Array.from(p.chosenIds), c.output.chosen_input_ids, `case ${i} chosen ids`);
    assert.deepEqual(Array.from(labelsOf(p.chosenIds, p.chosenPromptLen)), c.output.chosen_labels, `case ${i} chosen labels`);
    assert.deepEqual(Array.from(p.rejectedIds), c.output.rejected_input_ids, `case ${i} rejected ids`);
    assert.deepEqual(Array.from(labelsOf(p.rejectedIds, p.rejectedPromptLen)), c.output.rejected_labels, `case ${i} rejected labels`);
  }
  assert.ok(errors > 0 && errors < ref.tokenize_row.length);
});

function promptLen(labels: number[]): number {
  let n = 0;
  while (n < labels.length && labels[n] === -100) n++;
  return n;
}

function toPair(r: Ref['batches'][number]['rows'][number]): TokenizedPair {
  return {
    chosenIds: Int32Array.from(r.chosen_input_ids),
    chosenPromptLen: promptLen(r.chosen_labels),
    rejectedIds: Int32Array.from(r.rejected_input_ids),
    rejectedPromptLen: promptLen(r.rejected_labels),
    truncation: 0,
  };
}

function row(a: ArrayLike<number>, r: number, L: number, width = L): number[] {
  return Array.from(a as Int32Array).slice(r * L, r * L + width);
}

test('positional POET alignment reproduces the original masks exactly (collator + get_batch_logps)', () => {
  let compared = 0;
  for (const [i, c] of ref.batches.entries()) {
    const pairs = c.rows.map(toPair);
    const b = buildPairBatch(pairs, { padId: c.pad_id, usePoet: c.use_poet, needTail: true, poetAlignment: 'positional' });
    const B = pairs.length;
    assert.equal(b.length, c.L, `batch ${i} L`);
    for (let r = 0; r < 2 * B; r++) {
      assert.deepEqual(row(b.inputIds, r, b.length), c.input_ids[r], `batch ${i} row ${r} ids`);
      assert.deepEqual(row(b.targets, r, b.length, b.length - 1), c.shifted_labels[r], `batch ${i} row ${r} targets`);
      assert.equal(b.targets[r * b.length + b.length - 1], -100);
      const pair = r % B;
      if (b.pairValid[pair]) {
        assert.deepEqual(row(b.scoreMask, r, b.length, b.length - 1), c.mask[r], `batch ${i} row ${r} mask`);
        assert.equal(b.scoredCounts[r], c.counts[r]);
        compared++;
      } else {
        // Guarded degenerate pair (spec §1.7 ex. 5): nothing scored, where the original would divide 0/0.
        assert.equal(b.scoredCounts[r], 0);
        assert.ok(c.counts[pair] === 0 || c.counts[B + pair] === 0);
      }
    }
  }
  assert.ok(compared > 200);
});

test('response alignment equals the original whenever both prompts have the same length, and keeps k = min otherwise', () => {
  let same = 0;
  let differ = 0;
  let fewer = 0;
  for (const c of ref.batches.filter((x) => x.use_poet)) {
    const pairs = c.rows.map(toPair);
    const B = pairs.length;
    const b = buildPairBatch(pairs, { padId: c.pad_id, usePoet: true, needTail: true });
    for (let i = 0; i < B; i++) {
      if (!b.pairValid[i]) continue;
      const p = pairs[i]!;
      if (p.chosenPromptLen === p.rejectedPromptLen) {
        assert.deepEqual(row(b.scoreMask, i, b.length, b.length - 1), c.mask[i]);
        assert.deepEqual(row(b.scoreMask, B + i, b.length, b.length - 1), c.mask[B + i]);
        same++;
      } else {
        const k = Math.min(b.responseLens[i]!, b.responseLens[B + i]!);
        assert.equal(b.poetK![i], k);
        assert.equal(b.scoredCounts[i], k);
        assert.equal(b.scoredCounts[B + i], k);
        // The original's AND never scores more, and fewer when the earlier-starting response is not
        // longer than the other (spec §1.7 example 4).
        assert.ok(c.counts[i]! <= k);
        if (c.counts[i]! < k) fewer++;
        differ++;
      }
    }
  }
  assert.ok(same > 50, `same-length pairs compared: ${same}`);
  assert.ok(differ > 3, `merged-prompt pairs compared: ${differ}`);
  assert.ok(fewer > 0, 'some merged pairs lose tokens under the positional AND');
});

test('the POET cut keeps exactly the scored tokens: same counts, rows are prefixes of the full rows', () => {
  for (const c of ref.batches.filter((x) => x.use_poet)) {
    const pairs = c.rows.map(toPair);
    const full = buildPairBatch(pairs, { padId: 0, usePoet: true, needTail: true });
    const cut = buildPairBatch(pairs, { padId: 0, usePoet: true, needTail: false });
    assert.ok(cut.cut && !full.cut);
    assert.ok(cut.length <= full.length);
    assert.equal(cut.nllMask, null);
    assert.deepEqual(Array.from(cut.scoredCounts), Array.from(full.scoredCounts));
    for (let r = 0; r < 2 * pairs.length; r++) {
      const n = cut.seqLens[r]!;
      assert.deepEqual(row(cut.inputIds, r, cut.length, n), row(full.inputIds, r, full.length, n));
      // Every kept target is scored (nothing after the last scored token survives)...
      const scored = row(cut.scoreMask, r, cut.length).reduce((s, x) => s + x, 0);
      const targets = row(cut.targets, r, cut.length).filter((t) => t !== -100).length;
      if (cut.pairValid[r % pairs.length]) assert.equal(targets, scored);
      // ...and the scored targets are the same tokens as in the masked layout.
      const a = row(cut.targets, r, cut.length).filter((_, t) => cut.scoreMask[r * cut.length + t] === 1);
      const f = row(full.targets, r, full.length).filter((_, t) => full.scoreMask[r * full.length + t] === 1);
      assert.deepEqual(a, f);
    }
  }
});
