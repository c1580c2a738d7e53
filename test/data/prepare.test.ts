/**
 * The whole preference pipeline on the byte tokenizer: results equal the step-by-step functions, the
 * cache is hit on a second run and invalidated by any input change, workers give the same pairs as the
 * in-process path, and row-level tokenization problems are located.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { formatPair } from '../../src/data/format.ts';
import { preparePreferenceData } from '../../src/data/prepare.ts';
import type { DataOptions } from '../../src/data/prepare.ts';
import { PairEncoder, tokenizePair } from '../../src/data/tokenize.ts';
import { loadTokenizer, writeTokenizerFiles } from '../../src/tokenizer/index.ts';

let dir: string;
let base: DataOptions;
const msg = (role: string, content: string) => ({ role, content });
const row = (i: number) => ({
  prompt: `question ${i}?`,
  chosen: [msg('user', `question ${i}?`), msg('assistant', `a fine answer number ${i}`.repeat(1 + (i % 3)))],
  rejected: [msg('user', `question ${i}?`), msg('assistant', `meh ${i}`)],
});
const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'poet-data-prep-'));
  await writeTokenizerFiles('byte', join(dir, 'tok'));
  mkdirSync(join(dir, 'uf'));
  writeFileSync(join(dir, 'uf', 'train_prefs.jsonl'), jsonl(Array.from({ length: 40 }, (_, i) => row(i))));
  writeFileSync(join(dir, 'uf', 'test_prefs.jsonl'), jsonl(Array.from({ length: 6 }, (_, i) => row(1000 + i))));
  base = {
    datasetMixer: { [join(dir, 'uf')]: 1 },
    datasetSplits: ['train_prefs', 'test_prefs'],
    tokenizerDir: join(dir, 'tok'),
    trainer: 'simpo',
    maxLength: 80,
    maxPromptLength: 40,
    cacheDir: join(dir, 'cache'),
    workers: 0,
  };
});

test('pipeline output equals format + tokenize_row applied row by row', async () => {
  const d = await preparePreferenceData({ ...base, cacheDir: null });
  assert.equal(d.train.length, 40);
  assert.equal(d.test.length, 6);
  assert.equal(d.fromCache, false);
  const tok = await loadTokenizer(join(dir, 'tok'));
  const expected = new Set(
    Array.from({ length: 40 }, (_, i) => {
      const r = row(i);
      const f = formatPair({ loc: { file: '', row: i }, prompt: r.chosen.slice(0, 1), chosen: r.chosen.slice(1), rejected: r.rejected.slice(1) }, tok, { autoInsertEmptySystemMsg: true });
      const p = tokenizePair(new PairEncoder(tok, { shortcut: false }), f, 256, 257, { maxLength: 80, maxPromptLength: 40, maxCompletionLength: 80, truncationMode: 'keep_end' });
      return `${p.chosenIds.join(',')}|${p.rejectedIds.join(',')}`;
    }),
  );
  for (const p of d.train) assert.ok(expected.has(`${p.chosenIds.join(',')}|${p.rejectedIds.join(',')}`));
  assert.ok(d.train.some((p) => p.truncation !== 0), 'some long answers were truncated');
});

test('cache: second run loads without tokenizing; any input change invalidates', async () => {
  const first = await preparePreferenceData(base);
  assert.equal(first.fromCache, false);
  const again = await preparePreferenceData(base);
  assert.equal(again.fromCache, true);
  assert.equal(again.cacheFile, first.cacheFile);
  assert.deepEqual(again.train.map((p) => Array.from(p.chosenIds)), first.train.map((p) => Array.from(p.chosenIds)));
  assert.deepEqual(again.test.map((p) => [p.rejectedPromptLen, p.truncation]), first.test.map((p) => [p.rejectedPromptLen, p.truncation]));
  assert.deepEqual(again.summary.splits, first.summary.splits);
  // Each change → a different key → a miss.
  for (const change of [{ maxLength: 81 }, { maxCompletionLength: 10 }, { truncationMode: 'keep_start' as const }, { chatTemplate: 'gemma2' }, { autoInsertEmptySystemMsg: false }, { trainer: 'dpo' as const }]) {
    const r = await preparePreferenceData({ ...base, ...change });
    assert.equal(r.fromCache, false, JSON.stringify(change));
  }
  appendFileSync(join(dir, 'uf', 'test_prefs.jsonl'), JSON.stringify(row(2000)) + '\n');
  const edited = await preparePreferenceData(base);
  assert.equal(edited.fromCache, false);
  assert.equal(edited.test.length, 7);
  assert.equal((await preparePreferenceData(base)).fromCache, true);
});

test('worker threads produce the same pairs as the in-process path', async () => {
  const a = await preparePreferenceData({ ...base, cacheDir: null, workers: 0 });
  const b = await preparePreferenceData({ ...base, cacheDir: null, workers: 1 });
  assert.deepEqual(
    b.train.map((p) => [Array.from(p.chosenIds), p.chosenPromptLen, Array.from(p.rejectedIds), p.rejectedPromptLen, p.truncation]),
    a.train.map((p) => [Array.from(p.chosenIds), p.chosenPromptLen, Array.from(p.rejectedIds), p.rejectedPromptLen, p.truncation]),
  );
});

test('pairs left with nothing to score are dropped and reported; template errors are located', async () => {
  const d = await preparePreferenceData({ ...base, cacheDir: null, maxCompletionLength: 0 });
  assert.equal(d.train.length, 0);
  const rows = d.summary.splits.reduce((n, s) => n + s.rowsUsed, 0);
  assert.equal(d.summary.droppedNoScoredTokens.length, rows);
  assert.match(d.summary.notices.join('\n'), new RegExp(`${rows} pair\\(s\\) dropped: a response had no token left to score`));
  // A template that raises (as Gemma's official one does on a system turn) is a located row error.
  const raising = "{% if messages[0]['role'] == 'system' %}{{ raise_exception('no system here') }}{% endif %}{% for m in messages %}{{ m['content'] }}{% endfor %}";
  await assert.rejects(preparePreferenceData({ ...base, cacheDir: null, chatTemplate: raising }), /train_prefs\.jsonl, line \d+ \(row \d+\): .*no system here/);
  const skipped = await preparePreferenceData({ ...base, cacheDir: null, chatTemplate: raising, skipInvalidRows: true });
  assert.equal(skipped.train.length, 0);
  assert.equal(skipped.summary.skipped.length, rows);
});
