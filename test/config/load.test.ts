import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadTrainingConfig, resolveTrainingConfig } from '../../src/config/index.ts';
import { PoetMultiError } from '../../src/util/errors.ts';
import { minimal, originalsDir, root, yamlFile } from './helpers.ts';

/** Runs `fn`, expecting a PoetMultiError; returns its problem lines. */
function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof PoetMultiError, `expected PoetMultiError, got ${String(err)}`);
    assert.equal(err.exitCode, 2);
    return err.problems;
  }
  assert.fail('expected the config to be rejected');
}

// ----- spec §4.1 values of the original configs -----

/** name → [trainer, beta, gamma_beta_ratio|null, lr, per-device train bs, GAS, save_total_limit]. */
const SPEC_TABLE: Record<string, [string, number, number | null, number, number, number, number]> = {
  'mistral-7b-base-dpo': ['dpo', 0.01, null, 5e-7, 2, 16, 20],
  'mistral-7b-base-simpo': ['simpo', 2.0, 0.8, 3e-7, 2, 16, 20],
  'llama-3-8b-base-dpo': ['dpo', 0.01, null, 5e-7, 1, 32, 20],
  'llama-3-8b-base-simpo': ['simpo', 2.0, 0.5, 6e-7, 2, 16, 20],
  'llama-3-8b-instruct-dpo-v2': ['dpo', 0.01, null, 3e-7, 2, 16, 20],
  'llama-3-8b-instruct-simpo-v2': ['simpo', 10, 0.3, 1e-6, 2, 16, 20],
  'gemma-2-9b-it-dpo': ['dpo', 0.01, null, 5e-7, 1, 32, 1],
  'gemma-2-9b-it-simpo': ['simpo', 10, 0.5, 8e-7, 1, 32, 1],
};
const POET_SAVE_LIMIT: Record<string, number> = { 'llama-3-8b-instruct-dpo-v2-poet': 1, 'llama-3-8b-instruct-simpo-v2-poet': 2 };

function checkAgainstSpec(name: string, file: string, decidedByRule: boolean) {
  const base = name.replace(/-poet$/, '');
  const [trainer, beta, gbr, lr, bs, gas, limit] = SPEC_TABLE[base]!;
  const { config, notices } = loadTrainingConfig(file, []);
  assert.equal(config.trainer_type, trainer, name);
  assert.equal(config.beta, beta, name);
  if (gbr !== null) assert.equal(config.gamma_beta_ratio, gbr, name);
  assert.equal(config.learning_rate, lr, name);
  assert.equal(config.per_device_train_batch_size, bs, name);
  assert.equal(config.gradient_accumulation_steps, gas, name);
  assert.equal(config.save_total_limit, POET_SAVE_LIMIT[name] ?? limit, name);
  assert.equal(config.use_poet, name.endsWith('-poet'), name);
  // Fields common to all 16 files (spec §4.1).
  assert.equal(config.max_length, 2048);
  assert.equal(config.max_prompt_length, 1800);
  assert.equal(config.max_completion_length, trainer === 'dpo' ? 1_000_000 : 2048);
  assert.equal(config.eval_strategy, 'steps');
  assert.equal(config.eval_steps, 400);
  assert.equal(config.do_eval, true);
  assert.equal(config.lr_scheduler_type, 'cosine');
  assert.equal(config.warmup_ratio, 0.1);
  assert.equal(config.num_train_epochs, 1);
  assert.equal(config.seed, 42);
  assert.equal(config.logging_steps, 5);
  assert.equal(config.save_strategy, 'epoch');
  assert.equal(config.run_name, name);
  assert.equal(config.output_dir, `outputs/${name}`);
  assert.equal(config.loss_type, 'sigmoid');
  assert.equal(config.truncation_mode, 'keep_end');
  assert.equal(config.gradient_checkpointing, true);
  assert.equal(config.chat_template !== null, name.startsWith('gemma'), name);
  if (name.startsWith('gemma')) assert.ok(config.chat_template!.includes("'<start_of_turn>' + role + '\n'"));
  assert.equal(notices.some((n) => n.startsWith('trainer_type is not set')), decidedByRule, name);
  const unused = notices.find((n) => n.startsWith('not used by poet'));
  assert.ok(unused, 'unused keys are listed once');
  for (const k of ['torch_dtype', 'attn_implementation', 'hub_model_id', 'report_to', 'save_only_model', 'gradient_checkpointing_kwargs', 'log_level']) {
    assert.ok(unused!.includes(k), `${k} listed as not used`);
  }
  assert.equal(notices.filter((n) => n.startsWith('not used by poet')).length, 1);
  assert.ok(notices.some((n) => n.startsWith('evaluation_strategy is the deprecated name')));
  assert.ok(notices.some((n) => n.startsWith('bf16: true is accepted')));
}

test('the original 16 configs load verbatim, with the trainer decided by the documented rule', (t) => {
  if (!existsSync(originalsDir)) {
    t.skip(`original configs not found at ${originalsDir}`);
    return;
  }
  const files = readdirSync(originalsDir).filter((f) => f.endsWith('.yaml') && f !== 'deepspeed_zero3.yaml');
  assert.equal(files.length, 16);
  for (const f of files) checkAgainstSpec(f.replace(/\.yaml$/, ''), join(originalsDir, f), true);
});

test('every shipped config validates; the 16 ports carry an explicit trainer_type and the spec values', () => {
  const dir = join(root, 'training_configs');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  const ports = files.filter((f) => !f.startsWith('tiny-'));
  assert.equal(ports.length, 16);
  for (const f of ports) checkAgainstSpec(f.replace(/\.yaml$/, ''), join(dir, f), false);
  for (const f of files.filter((x) => x.startsWith('tiny-'))) {
    const { config } = loadTrainingConfig(join(dir, f), []);
    assert.equal(config.trainer_type, f.split('-')[1]!.replace('.yaml', ''), f);
    assert.equal(config.use_poet, f.includes('-poet'), f);
    assert.equal(config.model_name_or_path, 'models/tiny');
  }
  for (const want of ['tiny-dpo-poet.yaml', 'tiny-simpo.yaml', 'tiny-sft.yaml']) assert.ok(files.includes(want), want);
});

// ----- trainer type and trainer-dependent defaults -----

test('without trainer_type: SimPO-only key → simpo, otherwise dpo, with a notice; both kinds → error', () => {
  const simpo = loadTrainingConfig(yamlFile(minimal('gamma_beta_ratio: 0.5')), []);
  assert.equal(simpo.config.trainer_type, 'simpo');
  assert.match(simpo.notices[0]!, /using simpo because gamma_beta_ratio is a SimPO-only key/);
  const dpo = loadTrainingConfig(yamlFile(minimal()), []);
  assert.equal(dpo.config.trainer_type, 'dpo');
  assert.match(dpo.notices[0]!, /using dpo/);
  const both = problemsOf(() => loadTrainingConfig(yamlFile(minimal('sft_weight: 1\nrpo_alpha: 1')), []));
  assert.match(both.join('\n'), /cannot decide the trainer: sft_weight is SimPO-only but rpo_alpha is DPO-only/);
});

test('defaults resolved by trainer type (spec §2.1, §2.2)', () => {
  const dpo = loadTrainingConfig(yamlFile(minimal('trainer_type: dpo')), []);
  assert.equal(dpo.config.beta, 0.1);
  assert.equal(dpo.config.max_length, 512);
  assert.equal(dpo.config.max_prompt_length, 128);
  assert.equal(dpo.config.max_completion_length, 1_000_000);
  assert.equal(dpo.config.ref_model_name_or_path, 'models/tiny');
  assert.equal(dpo.config.ref_model_mixup_alpha, 0.9);
  assert.equal(dpo.config.ref_model_sync_steps, 64);
  assert.equal(dpo.config.rpo_alpha, null);
  assert.equal(dpo.config.f_divergence_type, 'reverse_kl');
  assert.ok(dpo.notices.some((n) => /max_length is not set: using 512/.test(n)));
  const simpo = loadTrainingConfig(yamlFile(minimal('trainer_type: simpo\nmax_length: 300')), []);
  assert.equal(simpo.config.beta, 2.0);
  assert.equal(simpo.config.gamma_beta_ratio, 0.25);
  assert.equal(simpo.config.max_completion_length, 300);
  assert.equal(simpo.config.ref_model_name_or_path, null);
  const sft = loadTrainingConfig(yamlFile(minimal('trainer_type: sft')), []);
  assert.equal(sft.config.max_length, 1024);
  // HF TrainingArguments defaults and derived values
  const c = dpo.config;
  assert.deepEqual(
    [c.learning_rate, c.lr_scheduler_type, c.warmup_ratio, c.num_train_epochs, c.max_steps, c.per_device_train_batch_size, c.gradient_accumulation_steps],
    [5e-5, 'linear', 0, 3, -1, 8, 1],
  );
  assert.deepEqual([c.adam_beta1, c.adam_beta2, c.adam_epsilon, c.weight_decay, c.max_grad_norm], [0.9, 0.999, 1e-8, 0, 1.0]);
  assert.deepEqual([c.eval_strategy, c.eval_steps, c.do_eval, c.run_name, c.data_seed, c.tokenizer_name_or_path], ['no', 500, false, 'out', 42, 'models/tiny']);
  assert.deepEqual([c.dataset_splits, c.auto_insert_empty_system_msg, c.label_pad_token_id, c.disable_dropout], [['train', 'test'], true, -100, true]);
  assert.deepEqual([c.backend, c.save_dtype, c.skip_invalid_rows, c.group_by_length, c.data_cache_dir], ['native', null, false, false, null]);
  // keys poet does not act on are not in the resolved config
  assert.equal('hub_model_id' in c, false);
});

test('a key of another trainer is rejected at its location', () => {
  const p = problemsOf(() => loadTrainingConfig(yamlFile(minimal('trainer_type: dpo\ngamma_beta_ratio: 0.5'), 'other.yaml'), []));
  assert.deepEqual(p, [`${p[0]!.split(' ')[0]} gamma_beta_ratio: a SimPO-only key, but trainer_type is dpo`]);
  assert.match(p[0]!, /other\.yaml:6:1 /);
  const sft = problemsOf(() => loadTrainingConfig(yamlFile(minimal('trainer_type: sft')), ['--use_poet=true']));
  assert.match(sft.join('\n'), /override --use_poet=true use_poet: a preference-training \(dpo\/simpo\) key, but trainer_type is sft/);
});

// ----- overrides -----

test('overrides: both forms, cast by the schema; an optional int stays an int', () => {
  const file = yamlFile(minimal('trainer_type: simpo'));
  const { config } = loadTrainingConfig(file, ['--beta=2.5', '--max_completion_length', '100', '--use_poet', '--output_dir', 'o2', '--save_total_limit=3', '--dataset_splits=train_prefs,test_prefs']);
  assert.equal(config.beta, 2.5);
  assert.equal(config.max_completion_length, 100);
  assert.equal(typeof config.max_completion_length, 'number');
  assert.equal(config.save_total_limit, 3);
  assert.equal(config.use_poet, true);
  assert.equal(config.output_dir, 'o2');
  assert.deepEqual(config.dataset_splits, ['train_prefs', 'test_prefs']);
  const m = loadTrainingConfig(file, ['--dataset_mixer=a/b:0.5,c:1']).config;
  assert.deepEqual(m.dataset_mixer, { 'a/b': 0.5, c: 1 });
  const r = loadTrainingConfig(file, ['--resume_from_checkpoint=false', '--max_grad_norm', 'None']).config;
  assert.equal(r.resume_from_checkpoint, false);
  assert.equal(r.max_grad_norm, null);
});

test('override problems: unknown key, repeated key, uncastable value, all in one pass after the file\'s', () => {
  const p = problemsOf(() =>
    loadTrainingConfig(yamlFile(minimal('learning_rate: -1')), ['--betta=0.1', '--seed=1', '--seed', '2', '--max_length=long', '--max_steps']),
  );
  assert.equal(p.length, 5, p.join('\n'));
  assert.match(p[0]!, /learning_rate: expected a value >= 0, found -1/);
  assert.ok(p.includes('override --seed 2: key "seed" is given more than once (first as --seed=1)'));
  assert.ok(p.includes('override --betta=0.1 betta: unknown key (did you mean "beta"?); see docs/configs.md for every key'));
  assert.ok(p.includes('override --max_length=long max_length: expected a number, found "long"'));
  assert.ok(p.includes('override --max_steps max_steps: expected a value after the key, found nothing'));
});

// ----- located errors -----

test('problems are located at file:line:col, name the key, the expectation and the value, all in one pass', () => {
  const file = yamlFile(
    [
      'model_name_or_path: m', // 1
      'dataset_mixer:', // 2
      '  data/a: 1.0', // 3
      '  data/b: -0.5', // 4
      'dataset_splits: [train, valid]', // 5
      'output_dir: out', // 6
      'betta: 0.1', // 7
      'learning_rate: -1.0e-5', // 8
      'max_length: "abc"', // 9
      'trainer_type: ppo', // 10
      'optim: sgd', // 11
      'per_device_train_batch_size: 1.5', // 12
      'use_poet: yes', // 13
    ].join('\n'),
    'located.yaml',
  );
  const p = problemsOf(() => loadTrainingConfig(file, []));
  const f = file;
  assert.deepEqual(p, [
    `${f}:4:11 dataset_mixer.data/b: expected a value >= 0, found -0.5`,
    `${f}:7:1 betta: unknown key (did you mean "beta"?); see docs/configs.md for every key`,
    `${f}:8:16 learning_rate: expected a value >= 0, found -0.00001`,
    `${f}:9:13 max_length: expected a number, found "abc"`,
    `${f}:10:15 trainer_type: expected one of "dpo", "simpo", "sft", found "ppo"`,
    `${f}:11:8 optim: poet implements AdamW only: optim must be "adamw_torch", found "sgd"`,
    `${f}:12:30 per_device_train_batch_size: expected an integer, found 1.5`,
    `${f}:13:11 use_poet: expected a boolean, found "yes"`,
    `${f}:5:25 dataset_splits[1]: a split name must contain "train" or "test" (to know where it goes), found "valid"`,
  ]);
});

test('missing required keys, malformed YAML, a repeated key, an empty or absent file', () => {
  const missing = problemsOf(() => loadTrainingConfig(yamlFile('dataset_mixer: {d: 1}\noutput_dir: o\n', 'missing.yaml'), []));
  assert.equal(missing.length, 1);
  assert.match(missing[0]!, /missing\.yaml model_name_or_path: required key is missing/);
  const bad = problemsOf(() => loadTrainingConfig(yamlFile('a: 1\nb: [1, 2\nc: 3\n', 'bad.yaml'), []));
  assert.match(bad[0]!, /bad\.yaml:3:1 YAML syntax error: Flow sequence in block collection must be sufficiently indented/);
  const dup = problemsOf(() => loadTrainingConfig(yamlFile(minimal('beta: 0.1\nbeta: 0.2'), 'dup.yaml'), []));
  assert.deepEqual(dup, [`${dup[0]!.split(' ')[0]} YAML error: this key is given more than once in the same mapping`]);
  assert.match(dup[0]!, /dup\.yaml:6:1 /);
  assert.match(problemsOf(() => loadTrainingConfig(yamlFile('', 'empty.yaml'), []))[0]!, /empty\.yaml: the config file is empty/);
  assert.match(problemsOf(() => loadTrainingConfig(yamlFile('- a\n- b\n', 'list.yaml'), []))[0]!, /list\.yaml:1:1 expected a mapping of keys to values at the top level, found a list/);
  assert.match(problemsOf(() => loadTrainingConfig('/nonexistent/x.yaml', []))[0]!, /\/nonexistent\/x\.yaml: cannot read the config file \(no such file\)/);
});

// ----- cross-field checks -----

test('cross-field checks', () => {
  const check = (extra: string, overrides: string[] = []) => problemsOf(() => loadTrainingConfig(yamlFile(minimal(extra)), overrides)).join('\n');
  assert.match(check('max_length: 100\nmax_prompt_length: 100'), /max_prompt_length: must be smaller than max_length \(100\), found 100/);
  assert.match(check('trainer_type: dpo\nprecompute_ref_log_probs: true\nsync_ref_model: true'), /sync_ref_model: cannot be true together with precompute_ref_log_probs/);
  assert.match(check('trainer_type: simpo\nloss_type: ipo'), /loss_type: expected one of "sigmoid", "hinge" for simpo, found "ipo"/);
  assert.match(check('loss_type: kto_pair'), /kto_pair was removed/);
  assert.match(check('loss_type: robust\nlabel_smoothing: 0.6'), /must be < 0.5, found 0.6/);
  assert.match(check('dataset_splits: [test]'), /no split name contains "train"/);
  assert.match(check('dataset_configs: [a, b]'), /one entry per dataset_mixer entry \(1\), found 2/);
  assert.match(check('num_train_epochs: 0'), /num_train_epochs: must be > 0 when max_steps is not set/);
  assert.match(check('eval_strategy: epoch\nevaluation_strategy: steps'), /evaluation_strategy: is "steps" but eval_strategy is "epoch"/);
  assert.match(check('use_peft: true'), /LoRA\/PEFT \(use_peft: true\) is not supported/);
  assert.match(check('push_to_hub: true'), /push_to_hub must be false/);
  assert.match(check('ref_model_mixup_alpha: 1.5'), /ref_model_mixup_alpha: expected a value <= 1, found 1.5/);
  // warnings are notices, not errors
  const hinge = loadTrainingConfig(yamlFile(minimal('loss_type: hinge\nlabel_smoothing: 0.1')), []);
  assert.ok(hinge.notices.includes('warning: label_smoothing (0.1) is ignored by loss_type hinge'));
  const noTest = loadTrainingConfig(yamlFile(minimal('dataset_splits: [train]\ndo_eval: true')), []);
  assert.ok(noTest.notices.some((n) => /no split name contains "test"/.test(n)));
  // eval_strategy other than "no" turns do_eval on (HF)
  assert.equal(loadTrainingConfig(yamlFile(minimal('eval_strategy: epoch')), []).config.do_eval, true);
});

test('resolveTrainingConfig: the same rules for a config built in code', () => {
  const { config } = resolveTrainingConfig({ model_name_or_path: 'm', dataset_mixer: { d: 1 }, output_dir: 'o', trainer_type: 'simpo', use_poet: true });
  assert.equal(config.beta, 2.0);
  assert.equal(config.use_poet, true);
  const p = problemsOf(() => resolveTrainingConfig({ model_name_or_path: 'm', dataset_mixer: { d: 1 }, output_dir: 'o', beta: -1 }, 'demo'));
  assert.deepEqual(p, ['demo beta: expected a value > 0, found -1']);
});
