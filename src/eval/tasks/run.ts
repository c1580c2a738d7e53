/**
 * Running lm-eval-style tasks against a LanguageModelScorer and writing lm-eval 0.4.7's results shape:
 *   { results: { <task>: { alias, "<metric>,<filter>": v, "<metric>_stderr,<filter>": se } },
 *     group_subtasks, configs, versions, "n-shot", higher_is_better, "n-samples", config, date }
 * Each task's requests go to the scorer in one call (the scorer batches as it likes).
 */
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PoetError } from '../../util/errors.ts';
import { loadSplit } from './data.ts';
import { FewshotSampler, promptPrefix } from './fewshot.ts';
import { meanStderr, pooledStderr } from './metrics.ts';
import { mmluSubjectTask, resolveTaskName } from './registry.ts';
import type { Doc, GenerateRequest, LanguageModelScorer, LoglikelihoodRequest, TaskSpec } from './types.ts';

export interface RunTasksOptions {
  tasks: string[];
  dataDir: string;
  scorer: LanguageModelScorer;
  /** overrides every task's default shot count */
  numFewshot?: number;
  limit?: number;
  /** lm-eval's fewshot_random_seed (default 1234) */
  fewshotSeed?: number;
  modelName?: string;
  log?: (message: string) => void;
}

type Metrics = Record<string, number | string>;

export interface LmEvalResults {
  results: Record<string, Metrics & { alias: string }>;
  group_subtasks: Record<string, string[]>;
  configs: Record<string, Record<string, unknown>>;
  versions: Record<string, number>;
  'n-shot': Record<string, number>;
  higher_is_better: Record<string, Record<string, boolean>>;
  'n-samples': Record<string, { original: number; effective: number }>;
  config: Record<string, unknown>;
  date: number;
}

interface TaskOutcome {
  spec: TaskSpec;
  shots: number;
  nOriginal: number;
  /** per metric key ("acc,none"), the per-document values */
  perDoc: Record<string, number[]>;
}

const numOrNA = (v: number): number | string => (Number.isFinite(v) ? v : 'N/A');

async function splitDocs(spec: TaskSpec, dataDir: string, split: string): Promise<Doc[]> {
  const dir = join(dataDir, spec.dataset);
  const rows = await loadSplit(dir, split);
  if (rows === null) {
    throw new PoetError(
      `${spec.name}: no data for split "${split}" in ${dir} (expected ${split}.jsonl, ${split}.json, ${split}.parquet, ` +
        `${split}/*.parquet or ${split}-*.parquet; see docs/evaluation.md for each dataset's schema)`,
    );
  }
  const docs = rows.map((r) => (spec.processDoc ? spec.processDoc(r.doc, r.where) : r.doc));
  return spec.filterDoc ? docs.filter(spec.filterDoc) : docs;
}

async function runOne(spec: TaskSpec, opts: RunTasksOptions): Promise<TaskOutcome> {
  const shots = opts.numFewshot ?? spec.defaultShots;
  const evalSplit = spec.testSplit ?? spec.validationSplit;
  if (!evalSplit) throw new Error(`task ${spec.name} has no evaluation split`);
  const allDocs = await splitDocs(spec, opts.dataDir, evalSplit);
  if (allDocs.length === 0) throw new PoetError(`${spec.name}: the ${evalSplit} split has no rows`);
  const docs = opts.limit !== undefined ? allDocs.slice(0, opts.limit) : allDocs;

  let sampler: FewshotSampler | undefined;
  if (shots > 0) {
    const fewshotSplit = spec.fewshotSplit ?? spec.trainingSplit ?? spec.validationSplit ?? spec.testSplit!;
    const fewshotDocs = fewshotSplit === evalSplit ? allDocs : await splitDocs(spec, opts.dataDir, fewshotSplit);
    sampler = new FewshotSampler(spec, fewshotDocs, opts.fewshotSeed ?? 1234);
  }

  const perDoc: Record<string, number[]> = {};
  const record = (scores: Record<string, number>) => {
    for (const [k, v] of Object.entries(scores)) {
      const key = k.includes(',') ? k : `${k},none`;
      (perDoc[key] ??= []).push(v);
    }
  };

  if (spec.outputType === 'multiple_choice') {
    const requests: LoglikelihoodRequest[] = [];
    const spans: [number, number][] = [];
    for (const doc of docs) {
      const prefix = promptPrefix(spec, sampler, doc, shots);
      const text = spec.docToText(doc);
      const choices = spec.docToChoice!(doc);
      const start = requests.length;
      if (typeof text === 'number') {
        // Partial scoring: the choices are contexts, the target is the scored continuation.
        const target = spec.docToTarget(doc) as string;
        for (const c of choices) requests.push({ context: prefix + c, continuation: spec.targetDelimiter + target });
      } else {
        for (const c of choices) requests.push({ context: prefix + text, continuation: spec.targetDelimiter + c });
      }
      spans.push([start, requests.length]);
    }
    const results = await opts.scorer.loglikelihood(requests);
    if (results.length !== requests.length) {
      throw new Error(`scorer returned ${results.length} log-likelihoods for ${requests.length} requests`);
    }
    docs.forEach((doc, i) => record(spec.processResults(doc, results.slice(spans[i]![0], spans[i]![1]))));
  } else {
    const gen = spec.generation!;
    const requests: GenerateRequest[] = docs.map((doc) => ({
      context: promptPrefix(spec, sampler, doc, shots) + (spec.docToText(doc) as string),
      until: gen.until,
      maxNewTokens: gen.maxNewTokens,
    }));
    const outputs = await opts.scorer.generateUntil(requests);
    if (outputs.length !== requests.length) throw new Error(`scorer returned ${outputs.length} generations for ${requests.length} requests`);
    docs.forEach((doc, i) => record(spec.processResults(doc, truncateAtStop(outputs[i]!, gen.until))));
  }
  return { spec, shots, nOriginal: allDocs.length, perDoc };
}

/** Cut a generation at the first stop string (in case the scorer returned more). */
export function truncateAtStop(text: string, until: string[]): string {
  let end = text.length;
  for (const u of until) {
    const at = text.indexOf(u);
    if (at >= 0 && at < end) end = at;
  }
  return text.slice(0, end);
}

function taskConfig(spec: TaskSpec, shots: number): Record<string, unknown> {
  const c: Record<string, unknown> = {
    task: spec.name,
    dataset_path: spec.dataset,
    training_split: spec.trainingSplit,
    validation_split: spec.validationSplit,
    test_split: spec.testSplit,
    fewshot_split: spec.fewshotSplit,
    fewshot_config: { sampler: spec.sampler },
    num_fewshot: shots,
    target_delimiter: spec.targetDelimiter,
    fewshot_delimiter: spec.fewshotDelimiter,
    output_type: spec.outputType,
    metric_list: spec.metrics.map((m) => ({ metric: m, aggregation: 'mean', higher_is_better: true })),
    metadata: { version: spec.version },
  };
  if (spec.generation) c.generation_kwargs = { until: spec.generation.until, do_sample: false, max_gen_toks: spec.generation.maxNewTokens };
  if (spec.filterNames) c.filter_list = spec.filterNames.map((name) => ({ name }));
  return c;
}

/**
 * Check task names and that each task's data folder exists, before any model is loaded.
 * Split files themselves are checked when the task runs (with the exact file names looked for).
 */
export function checkTaskRequest(tasks: string[], dataDir: string): void {
  if (!existsSync(dataDir) || !statSync(dataDir).isDirectory()) {
    throw new PoetError(`--data_dir ${dataDir}: no such folder`);
  }
  for (const req of tasks.flatMap(resolveTaskName)) {
    const dataset = req.kind === 'task' ? req.spec.dataset : 'mmlu';
    const dir = join(dataDir, dataset);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new PoetError(`${req.kind === 'task' ? req.spec.name : 'mmlu'}: data folder ${dir} not found (see docs/evaluation.md for the layout)`);
    }
  }
}

export async function runTasks(opts: RunTasksOptions): Promise<LmEvalResults> {
  checkTaskRequest(opts.tasks, opts.dataDir);
  const out: LmEvalResults = {
    results: {},
    group_subtasks: {},
    configs: {},
    versions: {},
    'n-shot': {},
    higher_is_better: {},
    'n-samples': {},
    config: {
      model: 'poet',
      model_args: opts.modelName ? `pretrained=${opts.modelName}` : null,
      num_fewshot: opts.numFewshot ?? null,
      limit: opts.limit ?? null,
      fewshot_seed: opts.fewshotSeed ?? 1234,
      apply_chat_template: false,
    },
    date: Math.floor(Date.now() / 1000),
  };
  // Resolve every name first, so a typo fails before any model time is spent.
  const requests = opts.tasks.flatMap(resolveTaskName);
  const addOutcome = (o: TaskOutcome, alias = o.spec.name) => {
    const r: Metrics & { alias: string } = { alias };
    for (const [key, values] of Object.entries(o.perDoc)) {
      const [metric, filter] = key.split(',');
      const { mean, stderr } = meanStderr(values);
      r[key] = numOrNA(mean);
      r[`${metric}_stderr,${filter}`] = numOrNA(stderr);
    }
    out.results[o.spec.name] = r;
    out.configs[o.spec.name] = taskConfig(o.spec, o.shots);
    out.versions[o.spec.name] = o.spec.version;
    out['n-shot'][o.spec.name] = o.shots;
    out.higher_is_better[o.spec.name] = Object.fromEntries(o.spec.metrics.map((m) => [m, true]));
    out['n-samples'][o.spec.name] = { original: o.nOriginal, effective: Object.values(o.perDoc)[0]?.length ?? 0 };
  };

  for (const req of requests) {
    if (req.kind === 'task') {
      opts.log?.(`${req.spec.name}: running`);
      addOutcome(await runOne(req.spec, opts));
    } else if (req.kind === 'mmlu_subject') {
      opts.log?.(`mmlu_${req.subject}: running`);
      const o = await runOne(mmluSubjectTask(req.subject), opts);
      if (o.nOriginal === 0) throw new PoetError(`mmlu_${req.subject}: no test rows with subject "${req.subject}" in ${join(opts.dataDir, 'mmlu')}`);
      addOutcome(o);
    } else {
      const subjects = await mmluSubjects(opts.dataDir);
      const outcomes: TaskOutcome[] = [];
      for (const s of subjects) {
        opts.log?.(`mmlu_${s}: running`);
        outcomes.push(await runOne(mmluSubjectTask(s), opts));
      }
      // Group first, as lm-eval prints it; subjects after it with lm-eval's " - " alias.
      const accs = outcomes.map((o) => o.perDoc['acc,none']!);
      const sizes = accs.map((a) => a.length);
      const total = sizes.reduce((a, b) => a + b, 0);
      const mean = accs.reduce((a, v) => a + v.reduce((x, y) => x + y, 0), 0) / total;
      const se = pooledStderr(accs.map((a) => meanStderr(a).stderr), sizes);
      out.results.mmlu = { alias: 'mmlu', 'acc,none': numOrNA(mean), 'acc_stderr,none': numOrNA(se) };
      out.group_subtasks.mmlu = outcomes.map((o) => o.spec.name);
      out.versions.mmlu = 2;
      out['n-shot'].mmlu = outcomes[0]?.shots ?? 0;
      out.higher_is_better.mmlu = { acc: true };
      for (const o of outcomes) addOutcome(o, ` - ${o.spec.name}`);
    }
  }
  return out;
}

async function mmluSubjects(dataDir: string): Promise<string[]> {
  const rows = await loadSplit(join(dataDir, 'mmlu'), 'test');
  if (rows === null) {
    throw new PoetError(`mmlu: no data for split "test" in ${join(dataDir, 'mmlu')} (expected test.jsonl|.json|.parquet with rows {question, choices, answer, subject})`);
  }
  const subjects = new Set<string>();
  for (const r of rows) {
    if (typeof r.doc.subject !== 'string' || r.doc.subject === '') {
      throw new PoetError(`${r.where}: field "subject" must be a non-empty string (the MMLU subject, e.g. "abstract_algebra")`);
    }
    subjects.add(r.doc.subject);
  }
  return [...subjects].sort();
}

export function writeTaskResults(file: string, results: LmEvalResults): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(results, null, 2) + '\n');
  renameSync(tmp, file);
}
