import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PoetError } from '../../src/util/errors.ts';
import { apiKeyFromEnv, OpenAIJudge, type OpenAIJudgeConfig } from '../../src/eval/alpaca/openai_judge.ts';
import { runAlpacaEval } from '../../src/eval/alpaca/run.ts';
import { isSwitched } from '../../src/eval/alpaca/annotate.ts';
import type { JudgeItem, PairwiseJudge } from '../../src/eval/alpaca/types.ts';
import { startMockJudge, type MockJudgeServer } from './_mock_openai.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'poet-alpaca-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const N = 12;
/** The model's output carries the judge's "GOOD" marker on pairs 0..7, the reference on 8..11. */
function writeOutputs(dir: string, n = N) {
  const ref = Array.from({ length: n }, (_, i) => ({
    instruction: `Question number ${i}: explain topic ${i}.`,
    output: i >= 8 ? `GOOD reference answer ${i}` : `plain reference answer ${i} ${'x'.repeat(i * 7)}`,
    generator: 'gpt4_1106_preview',
  }));
  // Model file in another order: pairing is by instruction, not position.
  const model = ref
    .map((r, i) => ({
      instruction: r.instruction,
      output: i < 8 ? `  GOOD model answer ${i} ${'y'.repeat(i * 13)}\n` : `weak model answer ${i}`,
      generator: 'my-model',
    }))
    .reverse();
  const m = join(dir, 'model.json');
  const r = join(dir, 'ref.json');
  writeFileSync(m, JSON.stringify(model));
  writeFileSync(r, JSON.stringify(ref));
  return { m, r };
}

function judgeFor(server: MockJudgeServer, extra: Partial<OpenAIJudgeConfig> = {}) {
  return new OpenAIJudge({
    model: 'mock-judge',
    apiKey: 'sk-test-secret',
    apiKeyEnv: 'MOCK_KEY',
    baseURL: server.baseURL,
    weighted: true,
    maxConcurrency: 4,
    retryBaseMs: 5,
    timeoutMs: 2000,
    ...extra,
  });
}

// Expected weighted preferences: the GOOD side wins with p = 0.9 → model frame 1.9 (model GOOD) or 1.1.
const expectedWinRate = ((8 * 0.9 + 4 * 0.1) / N) * 100;

test('weighted judging maps the randomised order back and computes the win rate', async () => {
  const server = await startMockJudge();
  try {
    const dir = tmp();
    const { m, r } = writeOutputs(dir);
    const judge = judgeFor(server);
    const res = await runAlpacaEval({ modelOutputs: m, referenceOutputs: r, outDir: join(dir, 'out'), judge, seed: 0 });
    const switched = res.annotations.map((a) => a.is_switched_outputs);
    assert.ok(switched.includes(true) && switched.includes(false), 'both presentation orders occur');
    res.annotations.forEach((a, i) => {
      assert.ok(Math.abs(a.preference! - (i < 8 ? 1.9 : 1.1)) < 1e-9, `pair ${i}: ${a.preference}`);
      assert.equal(a.generator_1, 'gpt4_1106_preview');
      assert.equal(a.output_2.startsWith('GOOD') || a.output_2.startsWith('weak'), true, 'outputs are stripped');
    });
    assert.ok(Math.abs(res.metrics.win_rate - expectedWinRate) < 1e-9);
    assert.equal(res.metrics.n_wins, 8);
    assert.equal(res.metrics.n_wins_base, 4);
    assert.equal(res.metrics.complete, true);
    assert.equal(server.requests, N);
    // The request follows the weighted recipe.
    const body = server.bodies[0]!;
    assert.equal(body.max_tokens, 1);
    assert.equal(body.logprobs, true);
    assert.equal(body.top_logprobs, 5);
    // Without a difficulty file the LC variant is the clearly labelled no-difficulty one.
    assert.equal(res.metrics.length_controlled_winrate, null);
    assert.equal(typeof res.metrics.length_controlled_winrate_nodiff, 'number');
    const csv = readFileSync(join(dir, 'out', 'leaderboard.csv'), 'utf8').split('\n');
    assert.match(csv[0]!, /^name,win_rate,standard_error,n_wins,n_wins_base,n_draws,n_total,discrete_win_rate,mode,avg_length,length_controlled_winrate,length_controlled_winrate_nodiff/);
    assert.match(csv[1]!, /^my-model,/);
    const ann = JSON.parse(readFileSync(join(dir, 'out', 'annotations.json'), 'utf8')) as unknown[];
    assert.equal(ann.length, N);
    assert.ok(existsSync(join(dir, 'out', 'length_controlled_weights.csv')));
    // The key went in the Authorization header and nowhere into the output folder.
    assert.ok(server.authHeaders.every((h) => h === 'Bearer sk-test-secret'));
    for (const f of ['annotations.json', 'leaderboard.csv', 'metrics.json', 'annotator_cache.json']) {
      assert.doesNotMatch(readFileSync(join(dir, 'out', f), 'utf8'), /sk-test-secret/);
    }
  } finally {
    await server.close();
  }
});

test('retries 429, 500, a timeout and a malformed body, then succeeds', async () => {
  const server = await startMockJudge({ hangMs: 1500 });
  try {
    const dir = tmp();
    const { m, r } = writeOutputs(dir);
    server.faults = ['429', '500', 'timeout', 'malformed'];
    const judge = judgeFor(server, { maxConcurrency: 1, timeoutMs: 300 });
    const res = await runAlpacaEval({ modelOutputs: m, referenceOutputs: r, outDir: join(dir, 'out'), judge });
    assert.equal(res.metrics.n_total, N);
    assert.equal(res.metrics.complete, true);
    assert.equal(server.requests, N + 4);
    assert.equal(judge.requestsMade, N + 4);
    assert.ok(Math.abs(res.metrics.win_rate - expectedWinRate) < 1e-9);
  } finally {
    await server.close();
  }
});

test('a second run into the same folder is served from the cache: zero requests', async () => {
  const server = await startMockJudge();
  try {
    const dir = tmp();
    const { m, r } = writeOutputs(dir);
    const out = join(dir, 'out');
    const first = await runAlpacaEval({ modelOutputs: m, referenceOutputs: r, outDir: out, judge: judgeFor(server) });
    assert.equal(server.requests, N);
    const judge2 = judgeFor(server);
    const second = await runAlpacaEval({ modelOutputs: m, referenceOutputs: r, outDir: out, judge: judge2 });
    assert.equal(server.requests, N, 'no new request');
    assert.equal(judge2.requestsMade, 0);
    assert.equal(second.metrics.n_cached, N);
    assert.equal(second.metrics.win_rate, first.metrics.win_rate);
    // Another judge model does not reuse these verdicts.
    const judge3 = judgeFor(server, { model: 'other-judge' });
    await runAlpacaEval({ modelOutputs: m, referenceOutputs: r, outDir: out, judge: judge3 });
    assert.equal(judge3.requestsMade, N);
  } finally {
    await server.close();
  }
});

test('--max_requests stops cleanly with a partial result, and a resumed run pays only for the rest', async () => {
  const server = await startMockJudge();
  try {
    const dir = tmp();
    const { m, r } = writeOutputs(dir);
    const out = join(dir, 'out');
    const judge = judgeFor(server, { maxRequests: 5, maxConcurrency: 2 });
    const res = await runAlpacaEval({ modelOutputs: m, referenceOutputs: r, outDir: out, judge });
    assert.equal(server.requests, 5);
    assert.equal(judge.budgetExhausted, true);
    assert.equal(res.metrics.complete, false);
    assert.equal(res.metrics.n_missing, N - 5);
    assert.equal(res.metrics.n_total, 5);
    assert.equal(res.annotations.filter((a) => a.preference === null).length, N - 5);
    const resumed = judgeFor(server);
    const res2 = await runAlpacaEval({ modelOutputs: m, referenceOutputs: r, outDir: out, judge: resumed });
    assert.equal(resumed.requestsMade, N - 5);
    assert.equal(res2.metrics.complete, true);
    assert.equal(res2.metrics.n_cached, 5);
  } finally {
    await server.close();
  }
});

test('concurrency stays within --max_concurrency', async () => {
  const server = await startMockJudge({ delayMs: 15 });
  try {
    const dir = tmp();
    const { m, r } = writeOutputs(dir);
    await runAlpacaEval({ modelOutputs: m, referenceOutputs: r, outDir: join(dir, 'out'), judge: judgeFor(server, { maxConcurrency: 3 }) });
    assert.equal(server.requests, N);
    assert.ok(server.maxInFlight <= 3 && server.maxInFlight >= 2, `max in flight ${server.maxInFlight}`);
  } finally {
    await server.close();
  }
});

test('unweighted judging parses the answer token (temperature 0, no logprobs requested)', async () => {
  const server = await startMockJudge();
  try {
    const dir = tmp();
    const { m, r } = writeOutputs(dir);
    const res = await runAlpacaEval({ modelOutputs: m, referenceOutputs: r, outDir: join(dir, 'out'), judge: judgeFor(server, { weighted: false }) });
    res.annotations.forEach((a, i) => assert.equal(a.preference, i < 8 ? 2 : 1));
    assert.ok(Math.abs(res.metrics.win_rate - (8 / 12) * 100) < 1e-9);
    assert.equal(server.bodies[0]!.logprobs, undefined);
    assert.equal(server.bodies[0]!.temperature, 0);
  } finally {
    await server.close();
  }
});

test('a model that rejects logprobs, or a rejected key, stops with a clear PoetError', async () => {
  const server = await startMockJudge();
  try {
    const dir = tmp();
    const { m, r } = writeOutputs(dir);
    server.faults = ['logprobs400'];
    await assert.rejects(
      runAlpacaEval({ modelOutputs: m, referenceOutputs: r, outDir: join(dir, 'a'), judge: judgeFor(server, { maxConcurrency: 1 }) }),
      (e: unknown) => e instanceof PoetError && /rejected the log-probs request/.test(e.message) && /--unweighted/.test(e.message),
    );
    server.faults = ['no_logprobs'];
    await assert.rejects(
      runAlpacaEval({ modelOutputs: m, referenceOutputs: r, outDir: join(dir, 'b'), judge: judgeFor(server, { maxConcurrency: 1 }) }),
      (e: unknown) => e instanceof PoetError && /returned no log-probs/.test(e.message),
    );
    server.faults = ['401'];
    await assert.rejects(
      runAlpacaEval({ modelOutputs: m, referenceOutputs: r, outDir: join(dir, 'c'), judge: judgeFor(server, { maxConcurrency: 1 }) }),
      (e: unknown) => e instanceof PoetError && /rejected the key from MOCK_KEY/.test(e.message) && !/sk-test-secret/.test(e.message),
    );
  } finally {
    await server.close();
  }
});

test('missing API key: clear error naming the variable', () => {
  assert.throws(() => apiKeyFromEnv('POET_TEST_NO_SUCH_KEY', {}), (e: unknown) => e instanceof PoetError && /POET_TEST_NO_SUCH_KEY is not set/.test(e.message));
  assert.throws(() => apiKeyFromEnv('K', { K: ' ' }), /K is empty/);
  assert.equal(apiKeyFromEnv('K', { K: 'abc' }), 'abc');
  const dir = tmp();
  const { m, r } = writeOutputs(dir);
  const env = { ...process.env };
  delete env.POET_TEST_NO_SUCH_KEY;
  const res = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'eval', 'alpaca', '--model_outputs', m, '--reference_outputs', r, '--out', join(dir, 'o'), '--api_key_env', 'POET_TEST_NO_SUCH_KEY'],
    { cwd: root, encoding: 'utf8', env },
  );
  assert.equal(res.status, 2, res.stderr);
  assert.match(res.stderr, /POET_TEST_NO_SUCH_KEY is not set/);
  assert.doesNotMatch(res.stderr, /\n\s+at /);
});

test('input errors name the file, index and field', async () => {
  const dir = tmp();
  const { m, r } = writeOutputs(dir);
  const judge: PairwiseJudge = { name: 'never', judge: async () => assert.fail('judge must not be called') };
  const run = (model: string, ref = r) => runAlpacaEval({ modelOutputs: model, referenceOutputs: ref, outDir: join(dir, 'o'), judge });
  const bad = (name: string, data: unknown) => {
    const f = join(dir, name);
    writeFileSync(f, typeof data === 'string' ? data : JSON.stringify(data));
    return f;
  };
  const good = JSON.parse(readFileSync(m, 'utf8')) as Record<string, string>[];
  await assert.rejects(run(bad('a.json', good.slice(1))), /1 reference instruction\(s\) have no output in .*a\.json.*reference index 11 "Question number 11/s);
  await assert.rejects(
    run(bad('b.json', good.map((g, i) => (i === 3 ? { ...g, instruction: 'something else' } : g)))),
    /are not in .*ref\.json.*"something else"/s,
  );
  await assert.rejects(run(bad('c.json', good.map((g, i) => (i === 2 ? { instruction: g.instruction, generator: 'x' } : g)))), /c\.json: index 2: missing field "output"/);
  await assert.rejects(run(bad('d.json', good.map((g, i) => (i === 5 ? { ...g, output: '  \n' } : g)))), /d\.json: index 5: field "output" is empty/);
  await assert.rejects(run(bad('e.json', '{"instruction": 1}')), /e\.json: expected a JSON array/);
  await assert.rejects(run(bad('f.json', '[{]')), /f\.json: not valid JSON/);
});

test('the order coin is seeded and per instruction', () => {
  const a = Array.from({ length: 64 }, (_, i) => isSwitched(0, `q${i}`));
  assert.deepEqual(a, Array.from({ length: 64 }, (_, i) => isSwitched(0, `q${i}`)));
  const b = Array.from({ length: 64 }, (_, i) => isSwitched(1, `q${i}`));
  assert.notDeepEqual(a, b);
  const frac = a.filter(Boolean).length / a.length;
  assert.ok(frac > 0.25 && frac < 0.75, `fraction switched ${frac}`);
});

test('any PairwiseJudge works, with an instruction-difficulty file giving the full LC metric', async () => {
  const dir = tmp();
  const { m, r } = writeOutputs(dir, 30);
  const seen: JudgeItem[] = [];
  // A local rule-based judge: prefers the longer output (what the LC correction is meant to discount).
  const judge: PairwiseJudge = {
    name: 'longer-wins',
    judge: async (items) => {
      seen.push(...items);
      return items.map((it) => ({ preference: it.output_1.length >= it.output_2.length ? 1.2 : 1.8 }));
    },
  };
  const diffFile = join(dir, 'difficulty.csv');
  writeFileSync(diffFile, ['index,instruction_difficulty', ...Array.from({ length: 30 }, (_, i) => `${i},${((i % 7) - 3) / 2}`)].join('\n'));
  const res = await runAlpacaEval({ modelOutputs: m, referenceOutputs: r, outDir: join(dir, 'o'), judge, instructionDifficultyFile: diffFile, useCache: false });
  assert.equal(seen.length, 30);
  assert.equal(typeof res.metrics.length_controlled_winrate, 'number');
  assert.equal(res.metrics.length_controlled_winrate_nodiff, null);
  assert.deepEqual(res.glm!.columns, ['np.tanh(std_delta_len)', 'instruction_difficulty', 'not_gamed_baseline.astype(float)']);
  assert.ok(!existsSync(join(dir, 'o', 'annotator_cache.json')));
  // A difficulty file that misses an instruction is refused before judging.
  writeFileSync(diffFile, 'index,instruction_difficulty\n0,0.5\n');
  await assert.rejects(
    runAlpacaEval({ modelOutputs: m, referenceOutputs: r, outDir: join(dir, 'o2'), judge, instructionDifficultyFile: diffFile }),
    /difficulty\.csv: no instruction_difficulty for index 1/,
  );
});
