import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveSplitFiles, readRecords } from '../../src/data/sources.ts';
import { toPreferenceExample, toSftExample } from '../../src/data/validate.ts';
import { isCorrect, reward } from '../../src/demo/reward.ts';
import {
  FILLER_PHRASES,
  OPS,
  PROMPT_TEMPLATES,
  TASK_SEMANTICS,
  answer,
  generateTask,
  lastAssistant,
  parsePrompt,
  taskStats,
  wrongOpening,
  writeTask,
} from '../../src/demo/task.ts';
import { Rng } from '../../src/util/rng.ts';

const SIZES = { sftTrain: 3000, sftTest: 50, prefTrain: 2000, prefTest: 50, heldout: 64 };
const data = generateTask(SIZES, 7);
const bytes = (s: string) => Buffer.byteLength(s);

test('the generator is deterministic per seed and differs across seeds', () => {
  assert.deepEqual(generateTask(SIZES, 7), data);
  const other = generateTask(SIZES, 8);
  assert.notDeepEqual(other.prefTrain.slice(0, 20), data.prefTrain.slice(0, 20));
});

test('sizes, prompt and response lengths fit the compute budget (prompt ≤ 24 bytes, response ≤ 40 bytes)', () => {
  assert.equal(data.sftTrain.length, 3000);
  assert.equal(data.prefTest.length, 50);
  assert.equal(data.heldout.length, 64);
  const s = taskStats(data, isCorrect);
  assert.ok(s.maxPromptBytes <= 24, `prompt ${s.maxPromptBytes} bytes`);
  assert.ok(s.maxResponseBytes <= 40, `response ${s.maxResponseBytes} bytes`);
  // the longest possible response: opening (4) + 3 × (space + longest phrase)
  assert.ok(4 + 3 * (1 + Math.max(...FILLER_PHRASES.map(bytes))) <= 40);
});

test('held-out prompts are distinct, alternate operations and use words absent from every training row', () => {
  assert.equal(new Set(data.heldout).size, data.heldout.length);
  const heldWords = new Set(data.heldout.map((p) => parsePrompt(p).word));
  assert.deepEqual(data.heldout.slice(0, 4).map((p) => parsePrompt(p).op), ['upper', 'reverse', 'upper', 'reverse']);
  const used = [
    ...data.sftTrain.map((r) => r.messages[0]!.content),
    ...data.sftTest.map((r) => r.messages[0]!.content),
    ...data.prefTrain.map((r) => r.prompt),
    ...data.prefTest.map((r) => r.prompt),
  ].map((p) => parsePrompt(p).word);
  for (const w of used) assert.ok(!heldWords.has(w), `held-out word ${w} used in training data`);
});

test('every chosen response has the correct opening and every rejected one a wrong opening', () => {
  for (const p of data.prefTrain) {
    assert.equal(reward(p.prompt, lastAssistant(p.chosen)), 1);
    assert.ok(reward(p.prompt, lastAssistant(p.rejected)) < 1, `${p.prompt}: ${lastAssistant(p.rejected)}`);
  }
});

test('length confound: chosen responses are longer on average and in most but not all pairs', () => {
  const s = taskStats({ ...data, prefTest: [] }, isCorrect);
  assert.ok(s.meanChosenBytes > s.meanRejectedBytes + 5, `${s.meanChosenBytes} vs ${s.meanRejectedBytes}`);
  // filler counts alone: chosen has more sentences in 6/9 of pairs; byte lengths add noise around that
  assert.ok(s.chosenLongerRate > 0.62 && s.chosenLongerRate < 0.85, `chosen longer in ${s.chosenLongerRate}`);
  const shorter = 1 - s.chosenLongerRate - s.equalLengthRate;
  assert.ok(shorter > 0.05, `chosen shorter in ${shorter} of pairs`);
});

test('the quality is decided by the opening: cutting both responses to the shorter length (POET) keeps the order', () => {
  let kept = 0;
  for (const p of data.prefTrain) {
    const c = lastAssistant(p.chosen);
    const r = lastAssistant(p.rejected);
    const k = Math.min(c.length, r.length);
    assert.ok(k >= 4);
    if (reward(p.prompt, c.slice(0, k)) > reward(p.prompt, r.slice(0, k))) kept++;
    // and the filler never matters: swap the fillers of the two responses
    const fc = c.slice(4);
    const fr = r.slice(4);
    assert.equal(reward(p.prompt, c.slice(0, 4) + fr), 1);
    assert.equal(reward(p.prompt, r.slice(0, 4) + fc), reward(p.prompt, r));
  }
  assert.equal(kept, data.prefTrain.length);
});

test('SFT demonstrations: ~30% correct, the lazy copy is the most frequent opening, filler independent of correctness', () => {
  const s = taskStats({ ...data, sftTest: [] }, isCorrect);
  assert.ok(Math.abs(s.sftCorrectRate - TASK_SEMANTICS.sftCorrectRate) < 0.04, `correct rate ${s.sftCorrectRate}`);
  let copies = 0;
  const fillerGood: number[] = [];
  const fillerBad: number[] = [];
  for (const r of data.sftTrain) {
    const prompt = r.messages[0]!.content;
    const resp = lastAssistant(r.messages);
    const { word } = parsePrompt(prompt);
    if (resp.startsWith(`${word}.`) && !isCorrect(prompt, resp)) copies++;
    (isCorrect(prompt, resp) ? fillerGood : fillerBad).push(resp.length - 4);
  }
  const copyRate = copies / data.sftTrain.length;
  assert.ok(copyRate > s.sftCorrectRate + 0.1, `copy ${copyRate} vs correct ${s.sftCorrectRate}`);
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  assert.ok(Math.abs(mean(fillerGood) - mean(fillerBad)) < 2.5, `filler ${mean(fillerGood)} vs ${mean(fillerBad)}`);
});

test('wrong openings are always wrong, including palindromes and every error kind', () => {
  const rng = new Rng(3);
  for (const op of OPS) {
    for (const word of ['aba', 'kqz', 'zzz']) {
      for (const kind of ['copy', 'other_op', 'slip'] as const) {
        for (let i = 0; i < 20; i++) {
          const w = wrongOpening(rng, op, word, kind);
          assert.notEqual(w, `${answer(op, word)}.`, `${op} ${word} ${kind}`);
          assert.equal(w.length, 4);
        }
      }
    }
  }
  assert.equal(wrongOpening(rng, 'upper', 'kqz', 'copy'), 'kqz.');
  assert.equal(wrongOpening(rng, 'reverse', 'kqz', 'other_op'), 'KQZ.');
});

test('every phrasing parses back to its operation and word', () => {
  for (const op of OPS) {
    for (const t of PROMPT_TEMPLATES[op]) assert.deepEqual(parsePrompt(t.replace('{w}', 'kqz')), { op, word: 'kqz' });
  }
});

test('the written files are read by poet data pipeline as preference and SFT rows', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'poet-demo-task-'));
  try {
    const small = generateTask({ sftTrain: 5, sftTest: 2, prefTrain: 6, prefTest: 3, heldout: 4 }, 1);
    const f = writeTask(dir, small, { seed: 1 });
    const prefs = [];
    for (const file of resolveSplitFiles(f.prefsDir, 'train_prefs')) {
      for await (const r of readRecords(file)) {
        assert.ok('record' in r);
        prefs.push(toPreferenceExample(r.record, r.loc));
      }
    }
    assert.equal(prefs.length, 6);
    assert.equal(prefs[0]!.prompt[0]!.content, small.prefTrain[0]!.prompt);
    assert.equal(prefs[0]!.chosen[0]!.role, 'assistant');
    assert.equal(resolveSplitFiles(f.prefsDir, 'test_prefs').length, 1);
    let nSft = 0;
    for await (const r of readRecords(resolveSplitFiles(f.sftDir, 'train')[0]!)) {
      assert.ok('record' in r);
      toSftExample(r.record, r.loc);
      nSft++;
    }
    assert.equal(nSft, 5);
    const held = readFileSync(f.heldoutFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(held.map((h) => h.instruction), small.heldout);
    assert.equal(JSON.parse(readFileSync(f.taskFile, 'utf8')).semantics.sftCorrectRate, 0.3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
