/**
 * Sources, schemas and the mixer: every accepted row shape, every rejected one (with file, row and field
 * in the message), skip_invalid_rows, split routing, subsampling, JSONL/JSON/Parquet equivalence.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { loadMixed } from '../../src/data/mixer.ts';
import { seededPermutation } from '../../src/data/shuffle.ts';
import { readRecords, resolveSplitFiles } from '../../src/data/sources.ts';
import { toPreferenceExample, toSftExample } from '../../src/data/validate.ts';
import { PoetError } from '../../src/util/errors.ts';

let dir: string;
const msg = (role: string, content: string) => ({ role, content });
const ufRow = (i: number) => ({
  prompt: `q${i}`,
  prompt_id: `id${i}`,
  chosen: [msg('user', `q${i}`), msg('assistant', `good ${i}`)],
  rejected: [msg('user', `q${i}`), msg('assistant', `bad ${i}`)],
  score_chosen: 8,
});
const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const loc = { file: 'f.jsonl', row: 3, line: 4 };

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'poet-data-src-'));
  mkdirSync(join(dir, 'uf'));
  writeFileSync(join(dir, 'uf', 'train_prefs.jsonl'), jsonl(Array.from({ length: 10 }, (_, i) => ufRow(i))));
  writeFileSync(join(dir, 'uf', 'test_prefs.json'), JSON.stringify(Array.from({ length: 4 }, (_, i) => ufRow(100 + i))));
});

test('UltraFeedback rows: prompt = chosen[:-1], responses = last messages; extra columns dropped', () => {
  const ex = toPreferenceExample(ufRow(1), loc);
  assert.deepEqual(ex.prompt, [msg('user', 'q1')]);
  assert.deepEqual(ex.chosen, [msg('assistant', 'good 1')]);
  assert.deepEqual(ex.rejected, [msg('assistant', 'bad 1')]);
});

test('plain strings map to one user turn and one assistant reply; OpenAI prompt lists are used as is', () => {
  const ex = toPreferenceExample({ prompt: 'q', chosen: 'a', rejected: 'b' }, loc);
  assert.deepEqual(ex, { loc, prompt: [msg('user', 'q')], chosen: [msg('assistant', 'a')], rejected: [msg('assistant', 'b')] });
  const oa = toPreferenceExample({ prompt: [msg('system', 'sys'), msg('user', 'q')], chosen: [msg('assistant', 'a')], rejected: [msg('assistant', 'b')] }, loc);
  assert.deepEqual(oa.prompt, [msg('system', 'sys'), msg('user', 'q')]);
  // chosen holding only the reply: the prompt string becomes the user turn
  const short = toPreferenceExample({ prompt: 'q', chosen: [msg('assistant', 'a')], rejected: [msg('assistant', 'b')] }, loc);
  assert.deepEqual(short.prompt, [msg('user', 'q')]);
});

test('bad rows name file, line, row and field', () => {
  const bad: Array<[unknown, RegExp]> = [
    [{ prompt: 'q', rejected: 'b' }, /f\.jsonl, line 4 \(row 3\): field "chosen": missing/],
    [{ prompt: 'q', chosen: '', rejected: 'b' }, /field "chosen": expected a non-empty string, found an empty string/],
    [{ prompt: 'q', chosen: 3, rejected: 'b' }, /field "chosen": expected a non-empty string, found a number/],
    [{ prompt: 'q', chosen: [msg('user', 'q'), msg('assistant', 'a')], rejected: 'b' }, /both must be message lists or both strings/],
    [{ chosen: [msg('user', 'q'), msg('robot', 'a')], rejected: [msg('user', 'q'), msg('assistant', 'b')] }, /field "chosen\[1\]\.role": expected one of system, user, assistant, found "robot"/],
    [{ chosen: [msg('user', 'q'), msg('assistant', 'a'), msg('user', 'more')], rejected: [msg('user', 'q'), msg('assistant', 'b')] }, /field "chosen\[2\]\.role": the last message must be the assistant's reply, found "user"/],
    [{ chosen: [msg('user', 'q'), msg('assistant', 'a')], rejected: [msg('user', 'other'), msg('assistant', 'b')] }, /the two conversations differ before the reply \(first at message 0/],
    [{ chosen: [msg('user', 'q'), { role: 'assistant', content: null }], rejected: [msg('user', 'q'), msg('assistant', 'b')] }, /field "chosen\[1\]\.content": expected a string, found null/],
    [{ chosen: [msg('user', 'q'), msg('assistant', '  ')], rejected: [msg('user', 'q'), msg('assistant', 'b')] }, /chosen\[1\]\.content": expected non-empty text/],
    [{ chosen: [], rejected: [] }, /field "chosen": expected a non-empty list/],
  ];
  for (const [row, re] of bad) {
    assert.throws(() => toPreferenceExample(row as never, loc), (e: unknown) => e instanceof PoetError && re.test(e.message), JSON.stringify(row));
  }
});

test('SFT rows: messages list or prompt/completion', () => {
  assert.deepEqual(toSftExample({ prompt: 'q', completion: 'a' }, loc).messages, [msg('user', 'q'), msg('assistant', 'a')]);
  assert.throws(() => toSftExample({ messages: [msg('user', 'q')] }, loc), /no assistant message/);
  assert.throws(() => toSftExample({}, loc), /field "messages": missing/);
});

test('split files: folder layouts, a single file is the "train" split, unknown names and missing splits are errors', async () => {
  assert.deepEqual(resolveSplitFiles(join(dir, 'uf'), 'train_prefs'), [join(dir, 'uf', 'train_prefs.jsonl')]);
  assert.deepEqual(resolveSplitFiles(join(dir, 'uf', 'train_prefs.jsonl'), 'train'), [join(dir, 'uf', 'train_prefs.jsonl')]);
  assert.throws(() => resolveSplitFiles(join(dir, 'uf', 'train_prefs.jsonl'), 'test'), /a single file is one split named "train"/);
  assert.throws(() => resolveSplitFiles(join(dir, 'uf'), 'test_gen'), /no file for split "test_gen".*found: test_prefs\.json, train_prefs\.jsonl/);
  assert.throws(() => resolveSplitFiles(join(dir, 'nope'), 'train'), /no such file or folder/);
  await assert.rejects(loadMixed({ datasetMixer: { [join(dir, 'uf')]: 1 }, datasetSplits: ['validation'], skipInvalidRows: false }, toPreferenceExample), /neither a train split/);
  await assert.rejects(loadMixed({ datasetMixer: { [join(dir, 'uf')]: -0.5 }, datasetSplits: ['train_prefs'], skipInvalidRows: false }, toPreferenceExample), /fractions cannot be negative, found -0.5/);
});

test('mixer: train subsampled to the first ⌊frac·n⌋ rows, test whole, both shuffled with seed 42', async () => {
  const m = await loadMixed({ datasetMixer: { [join(dir, 'uf')]: 0.55 }, datasetSplits: ['train_prefs', 'test_prefs'], skipInvalidRows: false }, toPreferenceExample);
  assert.equal(m.train.length, 5); // ⌊0.55 · 10⌋
  assert.deepEqual(m.train.map((e) => e.loc.row).sort(), [0, 1, 2, 3, 4]);
  assert.equal(m.test.length, 4);
  const perm = seededPermutation(5, 42);
  assert.deepEqual(m.train.map((e) => e.loc.row), Array.from(perm));
  assert.deepEqual(m.splits.map((s) => [s.split, s.side, s.rowsInFile, s.rowsUsed]), [
    ['train_prefs', 'train', 10, 5],
    ['test_prefs', 'test', 4, 4],
  ]);
});

test('bad JSONL lines: invalid UTF-8, broken JSON, non-objects → error with line; skip_invalid_rows counts them', async () => {
  const f = join(dir, 'bad.jsonl');
  const good = Buffer.from(JSON.stringify(ufRow(0)) + '\n');
  writeFileSync(f, Buffer.concat([good, Buffer.from('{"prompt": "\xff"}\n', 'latin1'), Buffer.from('{"prompt": \n'), Buffer.from('[1,2]\n'), Buffer.from('\n'), good]));
  const opts = { datasetMixer: { [f]: 1 }, datasetSplits: ['train'], skipInvalidRows: false };
  await assert.rejects(loadMixed(opts, toPreferenceExample), /bad\.jsonl, line 2 \(row 1\): invalid UTF-8/);
  const m = await loadMixed({ ...opts, skipInvalidRows: true }, toPreferenceExample);
  assert.equal(m.train.length, 2);
  assert.deepEqual(m.skipped.map((s) => [s.loc.line, s.reason.split(' (')[0]]), [
    [2, 'invalid UTF-8 in this line'],
    [3, 'not valid JSON'],
    [4, 'expected a JSON object, found an array'],
  ]);
});

test('empty files, non-array JSON and broken Parquet are file-level errors', async () => {
  const empty = join(dir, 'empty.jsonl');
  writeFileSync(empty, '');
  await assert.rejects(async () => { for await (const _ of readRecords(empty)) void _; }, /the file is empty/);
  const obj = join(dir, 'obj.json');
  writeFileSync(obj, '{"a": 1}');
  await assert.rejects(async () => { for await (const _ of readRecords(obj)) void _; }, /expected a JSON array of row objects, found a object/);
  const pq = join(dir, 'broken.parquet');
  writeFileSync(pq, Buffer.from('PAR1 this is not parquet at all PAR1'));
  await assert.rejects(async () => { for await (const _ of readRecords(pq)) void _; }, /broken\.parquet: not a readable Parquet file/);
});

test('Parquet (nested message lists) reads the same examples as JSONL, truncated Parquet is an error', async () => {
  const rows = Array.from({ length: 6 }, (_, i) => ufRow(i));
  const listOf = (name: string) => [
    { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', repetition_type: 'OPTIONAL', num_children: 2 },
    { name: 'content', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    { name: 'role', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  ];
  const buf = parquetWriteBuffer({
    columnData: [
      { name: 'prompt', data: rows.map((r) => r.prompt) },
      { name: 'chosen', data: rows.map((r) => r.chosen) },
      { name: 'rejected', data: rows.map((r) => r.rejected) },
    ],
    schema: [
      { name: 'root', num_children: 3 },
      { name: 'prompt', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      ...listOf('chosen'),
      ...listOf('rejected'),
    ],
    rowGroupSize: 4,
  } as never);
  const pdir = join(dir, 'pq');
  mkdirSync(pdir, { recursive: true });
  writeFileSync(join(pdir, 'train.parquet'), new Uint8Array(buf));
  writeFileSync(join(pdir, 'test.jsonl'), jsonl(rows));
  const a = await loadMixed({ datasetMixer: { [pdir]: 1 }, datasetSplits: ['train', 'test'], skipInvalidRows: false }, toPreferenceExample);
  assert.equal(a.train.length, 6);
  const strip = (xs: typeof a.train) => xs.map((e) => ({ ...e, loc: e.loc.row }));
  assert.deepEqual(strip(a.train), strip(a.test));
  writeFileSync(join(pdir, 'cut.parquet'), new Uint8Array(buf).subarray(0, buf.byteLength - 30));
  await assert.rejects(async () => { for await (const _ of readRecords(join(pdir, 'cut.parquet'))) void _; }, /cut\.parquet: not a readable Parquet file/);
});
