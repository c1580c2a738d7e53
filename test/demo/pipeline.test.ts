import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveTrainingConfig } from '../../src/config/index.ts';
import { METHODS, preferenceConfig, sftConfig } from '../../src/demo/configs.ts';
import { runDemo } from '../../src/demo/index.ts';
import { DEFAULT_DEMO_OPTIONS, METHOD_NAMES, resolveDemoOptions } from '../../src/demo/options.ts';
import { hashInputs, readMarker, runStage } from '../../src/demo/stages.ts';
import { PoetError } from '../../src/util/errors.ts';
import { fakeEngine } from './_fake_engine.ts';

const SMALL = {
  seeds: [1, 2],
  task: { sftTrain: 40, sftTest: 8, prefTrain: 24, prefTest: 8, heldout: 12 },
  sft: { maxSteps: 6, loggingSteps: 2 },
  pref: { maxSteps: 4, loggingSteps: 1 },
};

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'poet-demo-pipe-'));
}

test('the configs of every method resolve with poet config schema and share one budget', () => {
  const o = resolveDemoOptions();
  const sft = resolveTrainingConfig(sftConfig(o, 'm', 'd', 'o'), 'sft').config;
  assert.equal(sft.trainer_type, 'sft');
  const budgets = new Set<string>();
  for (const m of METHOD_NAMES) {
    const c = resolveTrainingConfig(preferenceConfig(o, m, 2, 'sft', 'prefs', 'out'), m).config;
    assert.equal(c.trainer_type, METHODS[m].trainer_type);
    assert.equal(c.use_poet, METHODS[m].use_poet);
    assert.equal(c.beta, METHODS[m].beta);
    assert.equal(c.seed, 2);
    assert.deepEqual(c.dataset_splits, ['train_prefs', 'test_prefs']);
    budgets.add(JSON.stringify([c.max_steps, c.per_device_train_batch_size, c.gradient_accumulation_steps, c.learning_rate, c.max_length, c.max_prompt_length, c.lr_scheduler_type, c.warmup_ratio]));
  }
  assert.equal(budgets.size, 1);
  assert.equal(resolveTrainingConfig(preferenceConfig(o, 'simpo-poet', 1, 's', 'p', 'o')).config.gamma_beta_ratio, 0.5);
});

test('options: defaults, overlay and errors', () => {
  const o = resolveDemoOptions({ pref: { maxSteps: 3 } });
  assert.equal(o.pref.maxSteps, 3);
  assert.equal(o.pref.batchSize, DEFAULT_DEMO_OPTIONS.pref.batchSize);
  assert.deepEqual(o.seeds, [1, 2, 3]);
  assert.throws(() => resolveDemoOptions({ seeds: [] }), PoetError);
  assert.throws(() => resolveDemoOptions({ methods: ['ppo' as never] }), /unknown method "ppo"/);
  assert.throws(() => resolveDemoOptions({ pref: { maxPromptLength: 200 } }), /maxPromptLength/);
});

test('runStage: skips on a matching marker, redoes on changed inputs, starts over after a failure', async () => {
  const dir = join(tmp(), 's');
  try {
    let runs = 0;
    const work = async (d: string) => {
      runs++;
      writeFileSync(join(d, 'out.txt'), String(runs));
      return { runs };
    };
    const a = await runStage('x', dir, { p: 1 }, work);
    assert.equal(a.skipped, false);
    const b = await runStage('x', dir, { p: 1 }, work);
    assert.equal(b.skipped, true);
    assert.deepEqual(b.marker.result, { runs: 1 });
    assert.equal(runs, 1);
    const c = await runStage('x', dir, { p: 2 }, work);
    assert.equal(c.skipped, false);
    assert.equal(runs, 2);
    // a failing stage leaves no marker; its leftovers are cleared by the next attempt
    await assert.rejects(runStage('x', dir, { p: 3 }, async (d) => {
      writeFileSync(join(d, 'partial.txt'), 'x');
      throw new Error('boom');
    }));
    assert.equal(readMarker(dir), null);
    await runStage('x', dir, { p: 3 }, work);
    assert.equal(existsSync(join(dir, 'partial.txt')), false);
    // key order does not matter for the hash; values do
    assert.equal(hashInputs({ a: 1, b: [1, 2] }), hashInputs({ b: [1, 2], a: 1 }));
    assert.notEqual(hashInputs({ a: 1 }), hashInputs({ a: 2 }));
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
});

test('pipeline with a fake engine: every stage writes its outputs; a rerun reuses everything', async () => {
  const out = tmp();
  try {
    const engine = fakeEngine();
    const lines: string[] = [];
    const r = await runDemo({ ...SMALL, outDir: out, engine, log: (l) => lines.push(l) });
    const nRuns = 2 * 4;
    assert.equal(engine.calls.filter((c) => c.kind === 'train').length, 1 + nRuns);
    assert.equal(engine.calls.filter((c) => c.kind === 'generate').length, 1 + nRuns);
    assert.equal(r.ran.length, 5 + 3 * nRuns);
    // the preference runs start from the SFT model and write where the demo reads
    const dpo = engine.calls.find((c) => c.kind === 'train' && c.config?.trainer_type === 'dpo')!;
    assert.equal(dpo.config!.model_name_or_path, join(out, 'sft', 'run'));
    assert.equal(dpo.config!.output_dir, dpo.dir);
    for (const f of [
      'task/DONE.json', 'task/prefs/train_prefs.jsonl', 'task/prefs/test_prefs.jsonl', 'task/sft/train.jsonl', 'task/heldout.jsonl',
      'init/model/config.json', 'sft/run/metrics.jsonl', 'runs/dpo-poet-s2/run/metrics.jsonl', 'runs/simpo-s1/DONE.json',
      'gen/sft/outputs.json', 'gen/simpo-poet-s2/outputs.json', 'judge/dpo-s1/alpaca_eval/annotations.json', 'judge/dpo-s1/DONE.json',
      'report/report.html', 'report/table.txt', 'report/results.json', 'report/charts/margins.png', 'report/charts/results.png',
    ]) {
      assert.ok(existsSync(join(out, f)), `missing ${f}`);
    }
    // empty generations become the placeholder in the AlpacaEval file (which rejects empty outputs)
    const sftOut = JSON.parse(readFileSync(join(out, 'gen/sft/outputs.json'), 'utf8')) as { output: string }[];
    assert.equal(sftOut[0]!.output, '(empty)');
    // the fake SFT model copies the word; trained models are right on 4 of 5 prompts → they win
    assert.deepEqual(r.rows.map((x) => x.label), ['SFT', 'DPO', 'DPO+POET', 'SimPO', 'SimPO+POET']);
    assert.ok(r.rows[1]!.winRate!.mean > 70);
    assert.equal(r.rows[1]!.winRate!.n, 2);
    assert.match(r.table, /DPO\+POET/);
    assert.ok(lines.some((l) => /\[demo \d+\/\d+\] train dpo-s1 \.\.\./.test(l)));
    assert.ok(lines.some((l) => /DPO\+POET seed 2: step 4\/4 {2}loss/.test(l)));
    assert.ok(lines.some((l) => l.includes(r.table.split('\n')[0]!)));

    const again = fakeEngine();
    const r2 = await runDemo({ ...SMALL, outDir: out, engine: again, log: () => {} });
    assert.equal(again.calls.length, 0);
    assert.equal(r2.ran.length, 0);
    assert.deepEqual(r2.rows, r.rows);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('pipeline: a changed budget redoes only what depends on it; a failed run is redone on the next start', async () => {
  const out = tmp();
  try {
    await runDemo({ ...SMALL, seeds: [1], outDir: out, engine: fakeEngine(), log: () => {} });
    // more preference steps: SFT and its generations are reused, every preference run is redone
    const e2 = fakeEngine();
    const r2 = await runDemo({ ...SMALL, seeds: [1], pref: { ...SMALL.pref, maxSteps: 5 }, outDir: out, engine: e2, log: () => {} });
    assert.deepEqual(r2.reused, ['task', 'init-model', 'sft', 'generate sft', 'score sft']);
    assert.equal(e2.calls.filter((c) => c.kind === 'train').length, 4);
    // a training failure stops the demo with that stage unfinished ...
    const e3 = fakeEngine({ failTrainOn: 'simpo-s1' });
    await assert.rejects(
      runDemo({ ...SMALL, seeds: [1], pref: { ...SMALL.pref, maxSteps: 6 }, outDir: out, engine: e3, log: () => {} }),
      /fake failure/,
    );
    assert.equal(readMarker(join(out, 'runs', 'simpo-s1')), null);
    // ... and the next start redoes it and what follows, reusing the runs that finished
    const e4 = fakeEngine();
    const r4 = await runDemo({ ...SMALL, seeds: [1], pref: { ...SMALL.pref, maxSteps: 6 }, outDir: out, engine: e4, log: () => {} });
    assert.deepEqual(e4.calls.filter((c) => c.kind === 'train').map((c) => c.dir.split(/[\\/]/).at(-2)), ['simpo-s1', 'simpo-poet-s1']);
    assert.ok(r4.reused.includes('train dpo-s1') && r4.reused.includes('score dpo-poet-s1'));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('reduced demo on the real engine (1 seed, few steps): every stage produces its outputs, a rerun reuses them', async () => {
  const out = tmp();
  try {
    const opts = { ...SMALL, seeds: [1], model: { preset: 'tiny' as const }, backend: 'js' as const, generation: { maxNewTokens: 12 }, outDir: out, log: () => {} };
    const first = await runDemo(opts);
    for (const stage of ['task', 'init', 'sft']) assert.ok(readMarker(join(out, stage)), `${stage} marker`);
    assert.ok(existsSync(join(out, 'init', 'model', 'config.json')));
    assert.ok(existsSync(join(out, 'task', 'prefs', 'train_prefs.jsonl')));
    for (const m of METHOD_NAMES) {
      const run = join(out, 'runs', `${m}-s1`);
      assert.ok(readMarker(run), `${m} marker`);
      const logs = readFileSync(join(run, 'run', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      assert.ok(logs.some((l) => 'rewards/margins' in l), `${m} logs rewards/margins`);
    }
    assert.equal(first.rows.length, METHOD_NAMES.length + 1, 'one table row per method + SFT');
    assert.match(first.table, /DPO\+POET/);
    assert.match(first.table, /SimPO\+POET/);
    assert.ok(existsSync(first.report.html));
    assert.match(readFileSync(first.report.html, 'utf8'), /<table/);
    for (const c of first.report.charts) assert.ok(existsSync(c), c);
    const second = await runDemo(opts);
    assert.ok(second.ran.every((s) => s === 'report'), `rerun ran ${second.ran.join(', ')}`);
    assert.ok(second.reused.length >= 3 + METHOD_NAMES.length);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
