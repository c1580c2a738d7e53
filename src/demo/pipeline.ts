/**
 * The demo's orchestration (docs/demo.md §3): task → init model → SFT → (per seed, per method) preference run →
 * generation on the held-out prompts → scoring → table and report. Every stage but the report is resumable
 * (src/demo/stages.ts); the report is cheap and always redrawn from the stages' results.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PoetError } from '../util/errors.ts';
import { METHODS, preferenceConfig, sftConfig } from './configs.ts';
import type { DemoEngine, TrainLogEntry } from './engine.ts';
import type { DemoOptions, MethodName } from './options.ts';
import { readTrainLog, writeReport, type ReportFiles, type RunLog } from './report.ts';
import { isCorrect } from './reward.ts';
import { generationFiles, headToHead, readRawGenerations, summariseRewards, writeGenerations, type HeadToHead, type RewardSummary } from './score.ts';
import { runStage, type StageOutcome } from './stages.ts';
import { aggregate, formatTable, type ModelScore, type TableRow } from './table.ts';
import { TASK_SEMANTICS, generateTask, taskFiles, taskStats, writeTask, type TaskStats } from './task.ts';

export interface DemoResult {
  rows: TableRow[];
  scores: ModelScore[];
  table: string;
  report: ReportFiles;
  /** stages run (not reused) in this invocation */
  ran: string[];
  reused: string[];
}

interface JudgeResult {
  rewards: RewardSummary;
  h2h: HeadToHead | null;
}

/** Folder layout under the output folder. */
export function demoPaths(outDir: string) {
  return {
    task: join(outDir, 'task'),
    init: join(outDir, 'init'),
    initModel: join(outDir, 'init', 'model'),
    sft: join(outDir, 'sft'),
    sftModel: join(outDir, 'sft', 'run'),
    run: (name: string) => join(outDir, 'runs', name),
    runModel: (name: string) => join(outDir, 'runs', name, 'run'),
    gen: (name: string) => join(outDir, 'gen', name),
    judge: (name: string) => join(outDir, 'judge', name),
    report: join(outDir, 'report'),
  };
}

export const runName = (method: MethodName, seed: number) => `${method}-s${seed}`;

function fmtNum(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(3) : v.toFixed(4);
}

function readHeldout(file: string): string[] {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  return lines.map((l, i) => {
    const r = JSON.parse(l) as { instruction?: unknown };
    if (typeof r.instruction !== 'string') throw new PoetError(`${file}: line ${i + 1}: field "instruction" must be a string`);
    return r.instruction;
  });
}

export async function runPipeline(o: DemoOptions, engine: DemoEngine, log: (line: string) => void): Promise<DemoResult> {
  const p = demoPaths(o.outDir);
  const runs = o.seeds.flatMap((seed) => o.methods.map((method) => ({ method, seed, name: runName(method, seed) })));
  const total = 5 + 3 * runs.length + 1;
  let index = 0;
  const ran: string[] = [];
  const reused: string[] = [];
  const timings: { stage: string; seconds: number; skipped: boolean }[] = [];
  const t0 = performance.now();

  async function stage<T>(name: string, dir: string, inputs: unknown, work: (dir: string) => Promise<T>): Promise<StageOutcome<T>> {
    index++;
    const prefix = `[demo ${index}/${total}]`;
    const out = await runStage(name, dir, inputs, async (d) => {
      log(`${prefix} ${name} ...`);
      const r = await work(d);
      return r;
    }, { log: (l) => log(`${prefix} ${l}`) });
    if (!out.skipped) log(`${prefix} ${name}: done in ${out.marker.seconds.toFixed(1)} s`);
    (out.skipped ? reused : ran).push(name);
    timings.push({ stage: name, seconds: out.marker.seconds, skipped: out.skipped });
    return out;
  }

  const trainLogger = (name: string, maxSteps: number) => (e: TrainLogEntry) => {
    if (typeof e.loss !== 'number') return;
    const parts = [`step ${e.step ?? '?'}/${maxSteps}`, `loss ${fmtNum(e.loss)}`];
    if ('rewards/margins' in e) parts.push(`margin ${fmtNum(e['rewards/margins'])}`);
    if ('rewards/accuracies' in e) parts.push(`acc ${fmtNum(e['rewards/accuracies'])}`);
    log(`    ${name}: ${parts.join('  ')}`);
  };

  // 1. the task's data
  const task = await stage('task', p.task, { sizes: o.task, semantics: TASK_SEMANTICS }, async (dir) => {
    const data = generateTask(o.task, o.task.seed);
    const stats = taskStats(data, isCorrect);
    writeTask(dir, data, { seed: o.task.seed, sizes: o.task, stats });
    return { stats };
  });
  const files = taskFiles(p.task);

  // 2. the random model
  const init = await stage('init-model', p.init, { model: o.model, tokenizer: 'byte' }, async () => {
    await engine.initModel({ outDir: p.initModel, arch: o.model.arch, preset: o.model.preset, tokenizer: 'byte', seed: o.model.seed });
    return {};
  });

  // 3. SFT
  const sftCfg = sftConfig(o, p.initModel, files.sftDir, p.sftModel);
  const sft = await stage('sft', p.sft, { cfg: sftCfg, task: task.marker.inputsHash, init: init.marker.inputsHash }, async () => {
    await engine.train(sftCfg, p.sftModel, trainLogger('sft', o.sft.maxSteps));
    return {};
  });

  const heldout = readHeldout(files.heldoutFile);
  const generate = (name: string, modelDir: string, modelHash: string, seed: number) =>
    stage(`generate ${name}`, p.gen(name), { model: modelHash, task: task.marker.inputsHash, generation: o.generation, seed }, async (dir) => {
      const responses = await engine.generate(modelDir, heldout, { ...o.generation, seed });
      writeGenerations(dir, name, heldout, responses);
      return {};
    });
  const judge = (name: string, genHash: string, refGenHash: string | null) =>
    stage(`score ${name}`, p.judge(name), { gen: genHash, ref: refGenHash }, async (dir): Promise<JudgeResult> => {
      const { summary } = summariseRewards(readRawGenerations(p.gen(name)));
      const h2h = refGenHash === null ? null : await headToHead(generationFiles(p.gen(name)).outputsFile, generationFiles(p.gen('sft')).outputsFile, join(dir, 'alpaca_eval'), name, 0);
      return { rewards: summary, h2h };
    });

  // 4. SFT's own answers: the reference of every head-to-head
  const sftGen = await generate('sft', p.sftModel, sft.marker.inputsHash, 0);
  const sftScore = await judge('sft', sftGen.marker.inputsHash, null);
  const scores: ModelScore[] = [{ model: 'sft', method: 'sft', label: 'SFT', seed: null, ...sftScore.marker.result }];
  const runLogs: RunLog[] = [];

  // 5. preference runs, seeds outermost so that a partial run has every method of the first seed
  for (const r of runs) {
    const cfg = preferenceConfig(o, r.method, r.seed, p.sftModel, files.prefsDir, p.runModel(r.name));
    const label = METHODS[r.method].label;
    const trained = await stage(`train ${r.name}`, p.run(r.name), { cfg, sft: sft.marker.inputsHash, task: task.marker.inputsHash }, async () => {
      await engine.train(cfg, p.runModel(r.name), trainLogger(`${label} seed ${r.seed}`, o.pref.maxSteps));
      return {};
    });
    const gen = await generate(r.name, p.runModel(r.name), trained.marker.inputsHash, r.seed);
    const scored = await judge(r.name, gen.marker.inputsHash, sftGen.marker.inputsHash);
    scores.push({ model: r.name, method: r.method, label, seed: r.seed, ...scored.marker.result });
    runLogs.push({ label, seed: r.seed, entries: readTrainLog(join(p.runModel(r.name), 'metrics.jsonl')) });
  }

  // 6. table and report (always redrawn)
  index++;
  log(`[demo ${index}/${total}] report ...`);
  const rows = aggregate(scores, ['sft', ...o.methods]);
  const labelOrder = ['SFT', ...o.methods.map((m) => METHODS[m].label)];
  const stats: TaskStats = task.marker.result.stats;
  const report = await writeReport({
    outDir: p.report,
    rows,
    scores,
    sftLog: readTrainLog(join(p.sftModel, 'metrics.jsonl')),
    runs: runLogs,
    labelOrder,
    taskSummary: { sizes: o.task, semantics: TASK_SEMANTICS, stats },
    options: o,
    timings,
  });
  const table = formatTable(rows);
  log(`[demo ${index}/${total}] report: ${report.html}`);
  log(`\n${table}\n`);
  log(`poet demo: finished in ${((performance.now() - t0) / 1000).toFixed(1)} s (${ran.length} stages run, ${reused.length} reused); report: ${report.html}`);
  return { rows, scores, table, report, ran, reused };
}
