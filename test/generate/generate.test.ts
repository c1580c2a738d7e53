/**
 * Generation on the engine: KV cache vs full recomputation, batch-independence, seeded sampling, stop
 * rules, the `poet generate` command, and the lm-eval scorer over the engine.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setBackend } from '../../src/backend/index.ts';
import { encodePrompt, generateIds, type GenerateOptions } from '../../src/eval/generate.ts';
import { argmax, sampleToken } from '../../src/eval/sampling.ts';
import { EngineScorer } from '../../src/eval/scorer.ts';
import { initModel } from '../../src/io/init_model.ts';
import { loadModelDir } from '../../src/io/model_dir.ts';
import { createModel, IGNORE_INDEX, type CausalLM } from '../../src/models/index.ts';
import { loadTokenizer, type PoetTokenizer } from '../../src/tokenizer/index.ts';
import { Rng } from '../../src/util/rng.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'poet-gen-'));
const modelDir = path.join(root, 'model');
let model: CausalLM;
let tok: PoetTokenizer;
const prompts = ['Hi', 'Tell me a story about a cat', 'x', 'What is 2+2?', 'A somewhat longer prompt, with punctuation!'];

before(async () => {
  setBackend('js');
  await initModel({ arch: 'llama', preset: 'tiny', tokenizer: 'byte', out: modelDir, seed: 5 });
  const m = loadModelDir(modelDir);
  model = createModel(m.config, m.weights);
  tok = await loadTokenizer(modelDir);
});

const base: GenerateOptions = { temperature: 0, topP: 1, topK: 0, maxNewTokens: 12, stopTokenIds: [], stopStrings: [], seed: 7, batchSize: 4 };
const ids = () => prompts.map((p) => encodePrompt(tok, tok.applyChatTemplate([{ role: 'user', content: p }], { addGenerationPrompt: true })));

test('greedy generation with the KV cache equals full recomputation at every step', () => {
  const a = generateIds(model, tok, ids(), { ...base, useCache: true });
  const b = generateIds(model, tok, ids(), { ...base, useCache: false });
  assert.deepEqual(a.map((g) => g.tokenIds), b.map((g) => g.tokenIds));
  assert.ok(a.every((g) => g.tokenIds.length === 12 && g.finishReason === 'length'));
});

test('greedy tokens are the argmax of an independent full forward pass', () => {
  const p = ids()[1]!;
  const [g] = generateIds(model, tok, [p], { ...base, maxNewTokens: 5 });
  const seq = [...p];
  for (const t of g!.tokenIds) {
    const logits = model.forwardLogits(Int32Array.from(seq), 1, seq.length);
    assert.equal(t, argmax(logits));
    seq.push(t);
  }
});

test('results do not depend on the batch size (greedy and seeded sampling)', () => {
  for (const o of [base, { ...base, temperature: 1.0, topP: 0.9, topK: 50 }]) {
    const a = generateIds(model, tok, ids(), { ...o, batchSize: 1 });
    const b = generateIds(model, tok, ids(), { ...o, batchSize: 5 });
    assert.deepEqual(a.map((g) => g.tokenIds), b.map((g) => g.tokenIds));
  }
});

test('sampling is deterministic for a seed and changes with it', () => {
  const o = { ...base, temperature: 1.5 };
  const a = generateIds(model, tok, ids(), o).map((g) => g.tokenIds);
  assert.deepEqual(generateIds(model, tok, ids(), o).map((g) => g.tokenIds), a);
  assert.notDeepEqual(generateIds(model, tok, ids(), { ...o, seed: 8 }).map((g) => g.tokenIds), a);
});

test('sampleToken: top_k = 1 and a tiny top_p are greedy; the distribution follows the softmax', () => {
  const logits = Float32Array.from([0.1, 2.0, -1.0, 1.5]);
  const scratch = new Float64Array(4);
  const rng = new Rng(1);
  for (let i = 0; i < 20; i++) {
    assert.equal(sampleToken(logits, 0, 4, { temperature: 1, topK: 1, topP: 1 }, rng, scratch), 1);
    assert.equal(sampleToken(logits, 0, 4, { temperature: 1, topK: 0, topP: 1e-6 }, rng, scratch), 1);
  }
  const counts = [0, 0, 0, 0];
  const n = 20000;
  for (let i = 0; i < n; i++) counts[sampleToken(logits, 0, 4, { temperature: 1, topK: 0, topP: 1 }, rng, scratch)]!++;
  const z = [0.1, 2.0, -1.0, 1.5].map(Math.exp);
  const s = z.reduce((a, b) => a + b);
  counts.forEach((c, i) => assert.ok(Math.abs(c / n - z[i]! / s) < 0.015, `token ${i}: ${c / n} vs ${z[i]! / s}`));
  // top_k = 2 keeps tokens 1 and 3 only
  for (let i = 0; i < 200; i++) assert.ok([1, 3].includes(sampleToken(logits, 0, 4, { temperature: 1, topK: 2, topP: 1 }, rng, scratch)));
});

test('stop token ids and stop strings end a generation', () => {
  const [free] = generateIds(model, tok, [ids()[0]!], base);
  const stopTok = free!.tokenIds[3]!;
  const [g] = generateIds(model, tok, [ids()[0]!], { ...base, stopTokenIds: [stopTok] });
  assert.equal(g!.finishReason, 'stop');
  assert.deepEqual(g!.tokenIds, free!.tokenIds.slice(0, free!.tokenIds.indexOf(stopTok)));
  const text = tok.decode(free!.tokenIds, { skipSpecialTokens: false });
  const stop = text.slice(2, 4);
  if (stop.length === 2) {
    const [h] = generateIds(model, tok, [ids()[0]!], { ...base, stopStrings: [stop] });
    assert.equal(h!.finishReason, 'stop');
    assert.equal(h!.text, text.slice(0, text.indexOf(stop)));
  }
});

test('EngineScorer.loglikelihood equals the model\'s per-token log-probs summed over the continuation', () => {
  const scorer = new EngineScorer(model, tok, { batchSize: 3 });
  const reqs = [
    { context: 'Question: 2+2?\nAnswer:', continuation: ' 4' },
    { context: 'The cat sat on the', continuation: ' mat' },
    { context: 'abc ', continuation: 'def' },
    { context: 'Hello', continuation: ', world!' },
  ];
  const res = scorer.loglikelihood(reqs);
  reqs.forEach((r, i) => {
    let context = r.context;
    let cont = r.continuation;
    const m = /\s+$/.exec(context);
    if (m) {
      cont = context.slice(m.index) + cont;
      context = context.slice(0, m.index);
    }
    const whole = tok.encode(context + cont, { addSpecialTokens: false });
    const nCtx = tok.encode(context, { addSpecialTokens: false }).length;
    const seq = [tok.bosTokenId!, ...whole];
    const T = seq.length - 1;
    const targets = new Int32Array(T).fill(IGNORE_INDEX);
    for (let t = nCtx; t < T; t++) targets[t] = seq[t + 1]!;
    const r2 = model.forwardLogprobs(Int32Array.from(seq.slice(0, T)), targets, 1, T, { requiresGrad: false });
    const expected = r2.logps.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(res[i]!.logprob - expected) < 1e-4, `${i}: ${res[i]!.logprob} vs ${expected}`);
  });
  // isGreedy: find a context whose next-token argmax is a printable ASCII byte (byte tokenizer: id = byte)
  let checked = false;
  for (let i = 0; i < 40 && !checked; i++) {
    const context = `Context number ${i}:`;
    const p = [tok.bosTokenId!, ...tok.encode(context, { addSpecialTokens: false })];
    const next = argmax(model.forwardLogits(Int32Array.from(p), 1, p.length));
    if (next < 33 || next > 126) continue;
    const other = next === 65 ? 66 : 65;
    assert.equal(scorer.loglikelihood([{ context, continuation: String.fromCharCode(next) }])[0]!.isGreedy, true);
    assert.equal(scorer.loglikelihood([{ context, continuation: String.fromCharCode(other) }])[0]!.isGreedy, false);
    checked = true;
  }
  assert.ok(checked, 'no context with a printable greedy token found');
});

test('poet generate writes AlpacaEval-format outputs; a bad prompts file fails with its line', () => {
  const pf = path.join(root, 'prompts.jsonl');
  fs.writeFileSync(pf, prompts.map((p, i) => JSON.stringify({ instruction: p, dataset: i % 2 ? 'a' : 'b' })).join('\n') + '\n');
  const out = path.join(root, 'out.json');
  const r = spawnSync(process.execPath, ['bin/poet.mjs', 'generate', '--model', modelDir, '--prompts', pf, '--out', out, '--max_new_tokens', '6', '--temperature', '0.7', '--seed', '3'], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, POET_BACKEND: 'js' },
  });
  assert.equal(r.status, 0, r.stderr);
  const rows = JSON.parse(fs.readFileSync(out, 'utf8'));
  assert.equal(rows.length, prompts.length);
  rows.forEach((row: Record<string, string>, i: number) => {
    assert.equal(row.instruction, prompts[i]);
    assert.equal(row.generator, 'model');
    assert.equal(row.dataset, i % 2 ? 'a' : 'b');
    assert.equal(typeof row.output, 'string');
  });
  fs.writeFileSync(pf, '{"instruction":"ok"}\n{"prompt":"no instruction"}\n');
  const bad = spawnSync(process.execPath, ['bin/poet.mjs', 'generate', '--model', modelDir, '--prompts', pf, '--out', out], { cwd: repo, encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /prompts\.jsonl:2: field "instruction" must be a non-empty string/);
});
