import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMockJudge } from './_mock_openai.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dataDir = fileURLToPath(new URL('../fixtures/eval/tasks', import.meta.url));

function poetAsync(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test('poet eval alpaca end to end against a mock judge, with a partial run and its resume', async () => {
  const server = await startMockJudge();
  const dir = mkdtempSync(join(tmpdir(), 'poet-eval-cli-'));
  try {
    // The mock judge prefers the side carrying "GOOD": the model on odd pairs, the reference on even ones.
    const ref = Array.from({ length: 10 }, (_, i) => ({ instruction: `q${i}`, output: i % 2 ? `reference ${i}` : `GOOD ref ${i}`, generator: 'ref' }));
    const model = ref.map((r, i) => ({ ...r, output: i % 2 ? `GOOD answer ${i}` : `answer ${i}`, generator: 'mine' }));
    writeFileSync(join(dir, 'm.json'), JSON.stringify(model));
    writeFileSync(join(dir, 'r.json'), JSON.stringify(ref));
    const args = ['eval', 'alpaca', '--model_outputs', join(dir, 'm.json'), '--reference_outputs', join(dir, 'r.json'),
      '--out', join(dir, 'out'), '--base_url', server.baseURL, '--judge_model', 'mock', '--api_key_env', 'POET_MOCK_KEY'];
    const env = { ...process.env, POET_MOCK_KEY: 'sk-cli-secret' };
    const partial = await poetAsync([...args, '--max_requests', '4'], env);
    assert.equal(partial.status, 0, partial.stderr);
    assert.match(partial.stdout, /PARTIAL: 6 pair\(s\) not judged \(--max_requests reached\)/);
    const full = await poetAsync(args, env);
    assert.equal(full.status, 0, full.stderr);
    assert.match(full.stdout, /win_rate 50\.00/); // 5 GOOD (p 0.9) + 5 not (p 0.1) → 50
    assert.match(full.stdout, /requests 6, from cache 4/);
    assert.match(full.stdout, /length_controlled_winrate_nodiff/);
    assert.equal(server.requests, 10);
    assert.doesNotMatch(partial.stdout + partial.stderr + full.stdout + full.stderr, /sk-cli-secret/);
    const metrics = JSON.parse(readFileSync(join(dir, 'out', 'metrics.json'), 'utf8')) as { complete: boolean; n_total: number };
    assert.equal(metrics.complete, true);
    assert.equal(metrics.n_total, 10);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('poet eval tasks: bad names fail before the model is loaded; a model that cannot load fails cleanly', () => {
  const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'eval', 'tasks', ...args], { cwd: root, encoding: 'utf8' });
  const unknown = run(['--model', 'm', '--tasks', 'arc_challenge,nope', '--data_dir', dataDir, '--out', '/tmp/x.json']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown task "nope"/);
  // Valid names and data, but no model at that path: whatever createScorer says, it is a clean message.
  const noModel = run(['--model', 'no/such/model', '--tasks', 'arc_challenge,gsm8k', '--data_dir', dataDir, '--out', '/tmp/x.json']);
  assert.notEqual(noModel.status, 0);
  assert.match(noModel.stderr, /^poet: .*no\/such\/model/);
  assert.doesNotMatch(noModel.stderr, /\n\s+at /);
});
