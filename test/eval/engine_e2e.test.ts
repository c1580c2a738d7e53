/**
 * Evaluation commands end to end on a real tiny model from `poet init-model`: `poet eval pipeline`
 * (generate, then judge against reference outputs with the mock OpenAI-compatible judge) and
 * `poet eval tasks` on the engine scorer.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initModel } from '../../src/io/init_model.ts';
import { startMockJudge } from './_mock_openai.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dataDir = fileURLToPath(new URL('../fixtures/eval/tasks', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'poet-eval-e2e-'));
const modelDir = join(dir, 'model');

function poet(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/poet.mjs', ...args], { cwd: root, env: { ...env, POET_BACKEND: 'js' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

before(async () => {
  await initModel({ arch: 'qwen2', preset: 'tiny', tokenizer: 'byte', out: modelDir, seed: 11 });
});

test('poet eval pipeline generates on the reference instructions, judges, and reuses its outputs on a rerun', async () => {
  const server = await startMockJudge();
  try {
    const ref = Array.from({ length: 6 }, (_, i) => ({ instruction: `Question ${i}?`, output: `reference answer ${i}`, generator: 'ref', dataset: 'toy' }));
    writeFileSync(join(dir, 'ref.json'), JSON.stringify(ref));
    const out = join(dir, 'pipe');
    const args = ['eval', 'pipeline', '--model', modelDir, '--reference_outputs', join(dir, 'ref.json'), '--out', out,
      '--max_new_tokens', '8', '--base_url', server.baseURL, '--judge_model', 'mock', '--api_key_env', 'POET_MOCK_KEY'];
    const env = { ...process.env, POET_MOCK_KEY: 'sk-x' };
    const r = await poet(args, env);
    assert.equal(r.status, 0, r.stderr);
    const outputs = JSON.parse(readFileSync(join(out, 'model_outputs.json'), 'utf8')) as { instruction: string; generator: string; dataset: string }[];
    assert.deepEqual(outputs.map((o) => o.instruction), ref.map((x) => x.instruction));
    assert.ok(outputs.every((o) => o.generator === 'model' && o.dataset === 'toy'));
    assert.match(r.stdout, /win_rate \d+\.\d\d/);
    assert.equal(server.requests, 6);
    const again = await poet(args, env);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /reusing .*model_outputs\.json/);
    assert.equal(server.requests, 6, 'the rerun is served from the annotation cache');
  } finally {
    await server.close();
  }
});

test('poet eval tasks scores a real model on the local task files and writes lm-eval-shaped results', async () => {
  const outFile = join(dir, 'tasks.json');
  const r = await poet(['eval', 'tasks', '--model', modelDir, '--tasks', 'arc_challenge,winogrande,truthfulqa_mc2,gsm8k', '--data_dir', dataDir, '--limit', '2', '--num_fewshot', '1', '--out', outFile]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(existsSync(outFile));
  const res = JSON.parse(readFileSync(outFile, 'utf8')) as { results: Record<string, Record<string, unknown>> };
  for (const [task, metric] of [['arc_challenge', 'acc_norm,none'], ['winogrande', 'acc,none'], ['truthfulqa_mc2', 'acc,none'], ['gsm8k', 'exact_match,strict-match']]) {
    const v = res.results[task!]?.[metric!];
    assert.equal(typeof v, 'number', `${task} ${metric}`);
    assert.ok((v as number) >= 0 && (v as number) <= 1);
  }
});
