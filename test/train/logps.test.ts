/** `poet logps`: per-pair log-probs in file order, with and without POET. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initModel } from '../../src/io/init_model.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));

test('poet logps: sums, means, counts and POET k per pair; the shorter response keeps all its tokens under POET', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poet-logps-'));
  const model = path.join(dir, 'model');
  await initModel({ arch: 'llama', preset: 'tiny', tokenizer: 'byte', out: model, seed: 2 });
  const rows = [
    ['Hi', 'Hello there, friend!', 'No.'],
    ['Count', '1 2', '1 2 3 4 5 6'],
    ['Same', 'abc', 'xyz'],
  ].map(([p, c, r]) => JSON.stringify({ prompt: p, chosen: [{ role: 'user', content: p }, { role: 'assistant', content: c }], rejected: [{ role: 'user', content: p }, { role: 'assistant', content: r }] }));
  const data = path.join(dir, 'pairs.jsonl');
  fs.writeFileSync(data, rows.join('\n') + '\n');
  const run = (extra: string[]) => {
    const out = path.join(dir, `out${extra.length}.jsonl`);
    const r = spawnSync(process.execPath, ['bin/poet.mjs', 'logps', '--model', model, '--data', data, '--out', out, ...extra], { cwd: repo, encoding: 'utf8', env: { ...process.env, POET_BACKEND: 'js' } });
    assert.equal(r.status, 0, r.stderr);
    return fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  };
  const full = run([]);
  const poet = run(['--use_poet']);
  assert.deepEqual(full.map((r) => r.index), [0, 1, 2]);
  for (let i = 0; i < 3; i++) {
    const f = full[i];
    const p = poet[i];
    assert.ok(Math.abs(f.chosen_logp_mean - f.chosen_logp_sum / f.chosen_tokens) < 1e-9);
    assert.equal(p.poet_k, Math.min(f.chosen_tokens, f.rejected_tokens));
    assert.equal(p.chosen_tokens, p.poet_k);
    assert.equal(p.rejected_tokens, p.poet_k);
    // causal attention: the first k tokens score the same whether the tail is present or not
    const shorter = f.chosen_tokens <= f.rejected_tokens ? 'chosen' : 'rejected';
    const longer = shorter === 'chosen' ? 'rejected' : 'chosen';
    assert.ok(Math.abs(p[`${shorter}_logp_sum`] - f[`${shorter}_logp_sum`]) < 1e-4, `pair ${i} ${shorter}`);
    if (f.chosen_tokens !== f.rejected_tokens) assert.ok(p[`${longer}_logp_sum`] > f[`${longer}_logp_sum`], `pair ${i}: fewer tokens, higher log-prob sum`);
  }
  // pair 0: chosen longer; pair 1: rejected longer; pair 2: equal (POET changes nothing)
  assert.ok(full[0].chosen_tokens > full[0].rejected_tokens && full[1].rejected_tokens > full[1].chosen_tokens);
  assert.ok(Math.abs(poet[2].chosen_logp_sum - full[2].chosen_logp_sum) < 1e-4);
  fs.writeFileSync(data, rows[0] + '\n{"prompt": "x", "chosen": "not a list"}\n');
  const bad = spawnSync(process.execPath, ['bin/poet.mjs', 'logps', '--model', model, '--data', data, '--out', path.join(dir, 'bad.jsonl')], { cwd: repo, encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /pairs\.jsonl.*2.*chosen/);
});
