/**
 * The shipped tiny configs run end to end through the `poet train` command (2 steps each, js backend),
 * on the committed tiny datasets and a tiny random model.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initModel } from '../../src/io/init_model.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poet-tiny-configs-'));
const model = path.join(dir, 'model');

before(async () => {
  await initModel({ arch: 'llama', preset: 'tiny', tokenizer: 'byte', out: model, seed: 1 });
});

for (const name of ['tiny-sft', 'tiny-dpo', 'tiny-dpo-poet', 'tiny-simpo', 'tiny-simpo-poet']) {
  test(`poet train training_configs/${name}.yaml runs and writes a model and metrics`, () => {
    const out = path.join(dir, name);
    const r = spawnSync(process.execPath, ['bin/poet.mjs', 'train', `training_configs/${name}.yaml`, `--model_name_or_path=${model}`, '--output_dir', out, '--max_steps=2', `--data_cache_dir=${path.join(dir, 'cache')}`], {
      cwd: repo,
      encoding: 'utf8',
      env: { ...process.env, POET_BACKEND: 'js' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`trainer ${name.includes('sft') ? 'sft' : name.includes('simpo') ? 'simpo' : 'dpo'}${name.endsWith('poet') ? ' \\+ POET' : ''},`));
    assert.ok(fs.existsSync(path.join(out, 'config.json')));
    const logs = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(logs.some((l) => l.step === 2 && Number.isFinite(l.loss)));
    if (!name.includes('sft')) assert.ok(logs.some((l) => 'rewards/margins' in l));
  });
}

test('an original config whose model and dataset are hub ids fails before any work, naming both inputs', () => {
  const out = path.join(dir, 'never-created');
  const r = spawnSync(process.execPath, ['bin/poet.mjs', 'train', 'training_configs/mistral-7b-base-dpo-poet.yaml', `--output_dir=${out}`], { cwd: repo, encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /cannot start training: 2 missing inputs/);
  assert.match(r.stderr, /model_name_or_path: alignment-handbook\/zephyr-7b-sft-full is not a local Hugging Face model folder .*hub id/);
  assert.match(r.stderr, /dataset_mixer: HuggingFaceH4\/ultrafeedback_binarized does not exist/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.equal(fs.existsSync(out), false);
});
