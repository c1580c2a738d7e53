/**
 * The training loop end to end on a tiny random model (js backend, deterministic): closed forms at
 * step 1, invariants (accumulation ≡ larger batch, resume ≡ uninterrupted, POET cut ≡ POET mask),
 * learning, outputs, and the NaN guard.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveTrainingConfig } from '../../src/config/index.ts';
import { buildPairBatch } from '../../src/data/batch.ts';
import { preparePreferenceData } from '../../src/data/prepare.ts';
import { initModel } from '../../src/io/init_model.ts';
import { loadModelDir, saveModelDir } from '../../src/io/model_dir.ts';
import { dpoLossOptions, createLossState } from '../../src/losses/index.ts';
import { createModel } from '../../src/models/index.ts';
import { setBackend } from '../../src/backend/index.ts';
import { dataOptionsOf, train } from '../../src/train/trainer.ts';
import { pairStep } from '../../src/train/pair_step.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'poet-trainer-'));
const modelDir = path.join(root, 'model');
const dataDir = path.join(root, 'prefs');
const quiet = { log: () => {}, plainProgress: true };

// A learnable toy preference set: the chosen answer repeats the letter asked for, the rejected one does not.
function row(i: number): string {
  const ch = 'abcdefgh'[i % 8]!;
  const p = `Say ${ch} please`;
  const c = `Sure: ${ch.repeat(3 + (i % 5))}`;
  const r = `No ${'xyz'[i % 3]!.repeat(1 + (i % 4))}`;
  return JSON.stringify({ prompt: p, chosen: [{ role: 'user', content: p }, { role: 'assistant', content: c }], rejected: [{ role: 'user', content: p }, { role: 'assistant', content: r }] });
}

before(async () => {
  setBackend('js');
  await initModel({ arch: 'llama', preset: 'tiny', tokenizer: 'byte', out: modelDir, seed: 3 });
  fs.mkdirSync(dataDir);
  fs.writeFileSync(path.join(dataDir, 'train.jsonl'), Array.from({ length: 32 }, (_, i) => row(i)).join('\n') + '\n');
  fs.writeFileSync(path.join(dataDir, 'test.jsonl'), Array.from({ length: 8 }, (_, i) => row(i + 100)).join('\n') + '\n');
});

function config(name: string, extra: Record<string, unknown> = {}) {
  return resolveTrainingConfig({
    trainer_type: 'dpo',
    model_name_or_path: modelDir,
    dataset_mixer: { [dataDir]: 1.0 },
    dataset_splits: ['train', 'test'],
    output_dir: path.join(root, name),
    backend: 'js',
    beta: 0.1,
    use_poet: true,
    max_length: 64,
    max_prompt_length: 32,
    learning_rate: 5e-3,
    lr_scheduler_type: 'constant',
    per_device_train_batch_size: 4,
    gradient_accumulation_steps: 1,
    max_steps: 4,
    logging_steps: 1,
    save_strategy: 'no',
    data_cache_dir: path.join(root, 'cache'),
    ...extra,
  }).config;
}

const readJsonl = (f: string) => fs.readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);

test('step 1: policy == reference, so DPO sigmoid loss = ln 2 and every reward is 0 (closed form)', async () => {
  const s = await train(config('closed', { max_steps: 1, warmup_steps: 1, lr_scheduler_type: 'cosine' }), quiet);
  const first = s.history[0]!;
  assert.equal(first.step, 1);
  assert.ok(Math.abs(first.loss! - Math.LN2) < 1e-12, `loss ${first.loss}`);
  for (const k of ['rewards/chosen', 'rewards/rejected', 'rewards/margins']) assert.equal(first[k], 0, k);
  assert.equal(first['rewards/accuracies'], 0, 'strict > on equal rewards');
  assert.equal(first.learning_rate, 5e-3, 'learning rate of the next update after a 1-step warmup');
  assert.ok(first['logps/chosen']! < 0 && Number.isFinite(first['logits/chosen']!));
});

test('SimPO step-1 loss equals −log σ(β(π_w − π_l) − γ) recomputed from the logged average log-probs', async () => {
  const s = await train(config('simpo1', { trainer_type: 'simpo', beta: 2.0, gamma_beta_ratio: 0.5, per_device_train_batch_size: 1, max_steps: 1 }), quiet);
  const e = s.history[0]!;
  const h = 2.0 * (e['logps/chosen']! - e['logps/rejected']!) - 2.0 * 0.5;
  const expected = -Math.log(1 / (1 + Math.exp(-h)));
  assert.ok(Math.abs(e.loss! - expected) < 1e-9, `${e.loss} vs ${expected}`);
});

test('gradient accumulation: batch 8 × accumulation 1 ≡ batch 1 × accumulation 8', async () => {
  const a = await train(config('acc-a', { per_device_train_batch_size: 8, gradient_accumulation_steps: 1, max_steps: 1 }), quiet);
  const b = await train(config('acc-b', { per_device_train_batch_size: 1, gradient_accumulation_steps: 8, max_steps: 1 }), quiet);
  assert.ok(Math.abs(a.history[0]!.loss! - b.history[0]!.loss!) < 1e-6);
  assert.ok(Math.abs(a.history[0]!.grad_norm! - b.history[0]!.grad_norm!) < 1e-5 * a.history[0]!.grad_norm!);
  const wa = loadModelDir(a.outputDir).weights;
  const wb = loadModelDir(b.outputDir).weights;
  let maxDiff = 0;
  for (const [k, v] of wa) for (let i = 0; i < v.length; i++) maxDiff = Math.max(maxDiff, Math.abs(v[i]! - wb.get(k)![i]!));
  assert.ok(maxDiff < 1e-6, `max weight difference ${maxDiff}`);
});

test('resume: a run stopped at a checkpoint and restarted equals an uninterrupted run, bit for bit (js backend)', async () => {
  const extra = { max_steps: 6, save_strategy: 'steps', save_steps: 3, eval_strategy: 'steps', eval_steps: 3, lr_scheduler_type: 'cosine', warmup_ratio: 0.2 };
  const full = await train(config('resume-full', extra), quiet);
  const part = await train(config('resume-part', extra), { ...quiet, stopAfterSteps: 3 });
  assert.equal(part.interrupted, true);
  assert.ok(fs.existsSync(path.join(root, 'resume-part', 'checkpoint-3', 'poet_state.json')));
  const resumed = await train(config('resume-part', extra), quiet);
  assert.equal(resumed.resumedFrom, path.join(root, 'resume-part', 'checkpoint-3'));
  const strip = (rows: Record<string, number>[]) => rows.map(({ eval_runtime, eval_samples_per_second, eval_steps_per_second, train_runtime, train_samples_per_second, train_steps_per_second, ...r }) => r);
  assert.deepEqual(strip(readJsonl(path.join(root, 'resume-part', 'metrics.jsonl'))), strip(readJsonl(path.join(root, 'resume-full', 'metrics.jsonl'))));
  const wa = loadModelDir(full.outputDir).weights;
  const wb = loadModelDir(resumed.outputDir).weights;
  for (const [k, v] of wa) assert.deepEqual(wb.get(k), v, k);
});

test('POET physical cutting gives the same losses and gradients as POET masking', async () => {
  const cfg = config('cut');
  const data = await preparePreferenceData(dataOptionsOf(cfg));
  const m = loadModelDir(modelDir);
  const run = (cut: boolean) => {
    const policy = createModel(m.config, new Map([...m.weights].map(([k, v]) => [k, v.slice()])));
    const reference = createModel(m.config, m.weights);
    for (const p of reference.parameters.values()) p.requiresGrad = false;
    const batch = buildPairBatch(data.train.slice(0, 6), { padId: 258, usePoet: true, needTail: false, cut });
    policy.zeroGrad();
    const r = pairStep({ policy, reference, batch, loss: dpoLossOptions({ beta: 0.1 }), lossState: createLossState(), scale: 1, train: true });
    return { r, batch, grads: new Map([...policy.parameters].map(([k, p]) => [k, p.grad!.slice()])) };
  };
  const cut = run(true);
  const masked = run(false);
  assert.ok(cut.batch.length < masked.batch.length, 'cutting shortens the batch');
  assert.ok(Math.abs(cut.r.loss - masked.r.loss) < 1e-7);
  for (const k of ['rewards/chosen', 'rewards/rejected', 'logps/chosen', 'logps/rejected']) {
    assert.ok(Math.abs(cut.r.metrics[k]! - masked.r.metrics[k]!) < 1e-4 * Math.max(1, Math.abs(masked.r.metrics[k]!)), k);
  }
  for (const [k, g] of masked.grads) {
    const c = cut.grads.get(k)!;
    let scale = 0;
    let diff = 0;
    for (let i = 0; i < g.length; i++) {
      scale = Math.max(scale, Math.abs(g[i]!));
      diff = Math.max(diff, Math.abs(g[i]! - c[i]!));
    }
    assert.ok(diff <= 1e-5 * Math.max(scale, 1e-6), `${k}: max |Δgrad| ${diff} (scale ${scale})`);
  }
});

test('a 20-step DPO+POET run raises rewards/accuracies and margins, and writes what HF users expect', async () => {
  const s = await train(config('learn', { max_steps: 20, eval_strategy: 'steps', eval_steps: 10, do_eval: true, save_strategy: 'steps', save_steps: 10, save_total_limit: 1 }), quiet);
  const logs = s.history.filter((h) => h.loss !== undefined);
  const early = logs.slice(0, 3);
  const late = logs.slice(-3);
  const mean = (xs: Record<string, number>[], k: string) => xs.reduce((a, x) => a + x[k]!, 0) / xs.length;
  assert.ok(mean(late, 'rewards/margins') > mean(early, 'rewards/margins') + 0.05, `margins ${mean(early, 'rewards/margins')} → ${mean(late, 'rewards/margins')}`);
  assert.ok(mean(late, 'rewards/accuracies') > mean(early, 'rewards/accuracies'));
  assert.ok(mean(late, 'rewards/accuracies') >= 0.75);
  const out = s.outputDir;
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'trainer_state.json', 'metrics.jsonl', 'train_results.json', 'eval_results.json', 'all_results.json', 'poet_config.json']) {
    assert.ok(fs.existsSync(path.join(out, f)), f);
  }
  assert.deepEqual(fs.readdirSync(out).filter((n) => n.startsWith('checkpoint-')), ['checkpoint-20'], 'save_total_limit 1 keeps the last');
  const state = JSON.parse(fs.readFileSync(path.join(out, 'trainer_state.json'), 'utf8'));
  assert.equal(state.global_step, 20);
  const keys = new Set(state.log_history.flatMap((h: object) => Object.keys(h)));
  for (const k of ['loss', 'grad_norm', 'learning_rate', 'epoch', 'step', 'rewards/chosen', 'rewards/rejected', 'rewards/accuracies', 'rewards/margins', 'logps/chosen', 'logps/rejected', 'logits/chosen', 'logits/rejected', 'eval_loss', 'eval_rewards/margins']) {
    assert.ok(keys.has(k), `log_history lacks ${k}`);
  }
});

test('a NaN loss stops the run naming the step, the batch and the last checkpoint', async () => {
  const m = loadModelDir(modelDir);
  const broken = path.join(root, 'broken-model');
  const w = new Map([...m.weights].map(([k, v]) => [k, v.slice()]));
  w.get('model.norm.weight')![0] = NaN;
  saveModelDir(broken, { ...m, weights: w });
  await assert.rejects(train(config('nan', { model_name_or_path: broken }), quiet), (e: Error) => {
    assert.equal(e.name, 'PoetError');
    assert.match(e.message, /non-finite loss \(NaN\) at step 1, micro-batch 1\/1 \(examples [\d, ]+/);
    assert.match(e.message, /no checkpoint was saved yet/);
    return true;
  });
});

test('a reference model with another vocabulary is refused before training', async () => {
  const other = path.join(root, 'other-vocab');
  await initModel({ arch: 'llama', preset: 'tiny', tokenizer: 'gpt2', out: other, seed: 1 });
  await assert.rejects(train(config('refvocab', { ref_model_name_or_path: other }), quiet), /vocab_size 50304.*must share the policy's vocabulary/);
});
