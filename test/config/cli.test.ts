import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { minimal, root, yamlFile } from './helpers.ts';

function poet(args: string[]) {
  return spawnSync(process.execPath, ['bin/poet.mjs', ...args], { cwd: root, encoding: 'utf8' });
}

/** Asserts a rejected config: exit 2, the expected located line on stderr, nothing on stdout, no stack trace. */
function rejects(args: string[], line: RegExp) {
  const r = poet(['validate', ...args]);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^poet: invalid training config /);
  assert.match(r.stderr, line);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

test('validate prints the resolved config as JSON (exit 0) with notices on stderr; both override forms', () => {
  const r = poet(['validate', 'training_configs/mistral-7b-base-dpo-poet.yaml', '--output_dir=outputs/x', '--beta', '0.05', '--max_completion_length=300']);
  assert.equal(r.status, 0, r.stderr);
  const cfg = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal(cfg.trainer_type, 'dpo');
  assert.equal(cfg.use_poet, true);
  assert.equal(cfg.output_dir, 'outputs/x');
  assert.equal(cfg.beta, 0.05);
  assert.equal(cfg.max_completion_length, 300);
  assert.match(r.stderr, /poet: notice: not used by poet \(accepted for compatibility with the original\): torch_dtype/);
});

test('validate rejects a typo\'d key with its location and a suggestion', () => {
  const f = yamlFile(minimal('use_peot: true'), 'typo.yaml');
  rejects([f], /typo\.yaml:5:1 use_peot: unknown key \(did you mean "use_peft" or "use_poet"\?\)/);
});

test('validate rejects a wrong type and a negative learning rate in one pass', () => {
  const f = yamlFile(minimal('beta: high\nlearning_rate: -0.001'), 'types.yaml');
  const r = poet(['validate', f]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /\(2 problems\)/);
  assert.match(r.stderr, /types\.yaml:5:7 beta: expected a number, found "high"/);
  assert.match(r.stderr, /types\.yaml:6:16 learning_rate: expected a value >= 0, found -0.001/);
});

test('validate rejects a missing model_name_or_path, malformed YAML, an unknown trainer_type, a bad override', () => {
  rejects([yamlFile('dataset_mixer: {d: 1}\noutput_dir: o\n', 'nomodel.yaml')], /nomodel\.yaml model_name_or_path: required key is missing/);
  rejects([yamlFile('model_name_or_path: m\n  bad: indent\n', 'malformed.yaml')], /malformed\.yaml:\d+:\d+ YAML syntax error: /);
  rejects([yamlFile(minimal('trainer_type: kto'), 'tt.yaml')], /tt\.yaml:5:15 trainer_type: expected one of "dpo", "simpo", "sft", found "kto"/);
  rejects([yamlFile(minimal(), 'ok.yaml'), '--seed=1', '--seed=2'], /override --seed=2: key "seed" is given more than once/);
});
