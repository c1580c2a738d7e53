/**
 * The preference data pipeline end to end: sources → mixer (subsample, validate, shuffle) → chat
 * template → tokenize_row → (drop pairs with nothing to score) → cache. Trainers call
 * `preparePreferenceData(options)`; `poet data inspect` maps a training config onto DataOptions.
 *
 * Tokenization runs in worker threads when there is enough work (each worker loads the tokenizer once,
 * ~0.1–1.6 s); small datasets run in-process. Both paths run the same code (pair_job.ts).
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PoetTokenizer } from '../tokenizer/index.ts';
import { PoetError } from '../util/errors.ts';
import { poetK, pairResponseLens } from './batch.ts';
import { cacheKey, codeVersion, defaultCacheDir, hashFile, readCache, tokenizerFilesHash, writeCache } from './cache.ts';
import { mistralNameNotice } from './format.ts';
import { checkMixer, loadMixed, splitSide } from './mixer.ts';
import type { SplitSummary } from './mixer.ts';
import { loadJobTokenizer, makePairJob } from './pair_job.ts';
import type { JobTokenizer, PairJobConfig, PairResult } from './pair_job.ts';
import { resolveSplitFiles } from './sources.ts';
import { defaultLengths } from './tokenize.ts';
import type { LengthOptions } from './tokenize.ts';
import { formatLocation } from './types.ts';
import type { PreferenceExample, SkippedRow, TokenizedPair, TrainerKind, TruncationMode } from './types.ts';
import { toPreferenceExample } from './validate.ts';

/** Everything the data pipeline needs; independent of the config module. */
export interface DataOptions {
  datasetMixer: Record<string, number>;
  datasetSplits: string[];
  datasetConfigs?: string[] | null;
  /** Folder with tokenizer.json (+ tokenizer_config.json). */
  tokenizerDir: string;
  /** Config `chat_template` (a Jinja string or a known name); overrides the tokenizer's. */
  chatTemplate?: string | null;
  trainer: TrainerKind;
  maxLength?: number | null;
  maxPromptLength?: number | null;
  maxCompletionLength?: number | null;
  truncationMode?: TruncationMode;
  autoInsertEmptySystemMsg?: boolean;
  skipInvalidRows?: boolean;
  /** Only for the Mistral-name notice (format.ts). */
  modelNameOrPath?: string | null;
  /** Folder of the tokenized-dataset cache; null disables it. Default: defaultCacheDir(outputDir). */
  cacheDir?: string | null;
  outputDir?: string | null;
  /** Worker threads for tokenization; 0 = in-process. Default: min(cores, 4), in-process below 2,000 pairs. */
  workers?: number;
  /** Allow the prompt-reuse shortcut (tokenize.ts PairEncoder); default true. */
  tokenizeShortcut?: boolean;
  /** Called with (done, total) while tokenizing. */
  onProgress?: (done: number, total: number) => void;
}

export interface PreferenceDataSummary {
  splits: SplitSummary[];
  skipped: SkippedRow[];
  /** Pairs dropped because a side had no scored response token (k = 0, spec §1.7 example 5). */
  droppedNoScoredTokens: SkippedRow[];
  notices: string[];
  lengths: LengthOptions;
}

export interface PreparedPreferenceData {
  train: TokenizedPair[];
  test: TokenizedPair[];
  summary: PreferenceDataSummary;
  fromCache: boolean;
  cacheFile: string | null;
  tokenizer: PoetTokenizer;
}

export function resolveLengths(opts: DataOptions): LengthOptions {
  const d = defaultLengths(opts.trainer, opts);
  const mode = opts.truncationMode ?? 'keep_end';
  if (mode !== 'keep_end' && mode !== 'keep_start') throw new PoetError(`truncation_mode: expected keep_end or keep_start, found "${String(mode)}"`);
  for (const [k, v] of Object.entries(d)) {
    if (!Number.isInteger(v) || v < 0) throw new PoetError(`${k}: expected a non-negative integer, found ${v}`);
  }
  return { ...d, truncationMode: mode };
}

function jobConfig(opts: DataOptions, lengths: LengthOptions): PairJobConfig {
  return {
    tokenizerDir: opts.tokenizerDir,
    chatTemplate: opts.chatTemplate ?? null,
    lengths,
    autoInsertEmptySystemMsg: opts.autoInsertEmptySystemMsg ?? true,
    shortcut: opts.tokenizeShortcut ?? true,
  };
}

async function computeKey(opts: DataOptions, lengths: LengthOptions, tok: JobTokenizer): Promise<string> {
  const files: Array<[string, string, string]> = [];
  for (const path of Object.keys(opts.datasetMixer)) {
    for (const split of opts.datasetSplits) {
      for (const f of resolveSplitFiles(path, split)) files.push([split, f, await hashFile(f)]);
    }
  }
  return cacheKey({
    v: codeVersion(),
    files,
    mixer: opts.datasetMixer,
    splits: opts.datasetSplits,
    tokenizer: await tokenizerFilesHash(opts.tokenizerDir),
    template: tok.chatTemplate,
    lengths,
    trainer: opts.trainer,
    system: opts.autoInsertEmptySystemMsg ?? true,
    skip: opts.skipInvalidRows ?? false,
    seed: 42,
  });
}

export async function preparePreferenceData(opts: DataOptions): Promise<PreparedPreferenceData> {
  if (opts.trainer === 'sft') throw new PoetError('preparePreferenceData: trainer "sft" uses prepareSftData');
  checkMixer({ datasetMixer: opts.datasetMixer, datasetSplits: opts.datasetSplits, datasetConfigs: opts.datasetConfigs, skipInvalidRows: false });
  for (const s of opts.datasetSplits) splitSide(s);
  const lengths = resolveLengths(opts);
  const cfg = jobConfig(opts, lengths);
  const tok = await loadJobTokenizer(cfg);
  const notices: string[] = [];
  const mistral = mistralNameNotice(opts.modelNameOrPath ?? undefined, !!opts.chatTemplate);
  if (mistral) notices.push(mistral);

  const cacheDir = opts.cacheDir === null ? null : (opts.cacheDir ?? defaultCacheDir(opts.outputDir));
  let cacheFile: string | null = null;
  if (cacheDir) {
    cacheFile = join(cacheDir, `${await computeKey(opts, lengths, tok)}.poetdata`);
    const hit = readCache<PreferenceDataSummary>(cacheFile);
    if (hit) return { ...hit, fromCache: true, cacheFile, tokenizer: tok };
  }

  const mixed = await loadMixed(
    { datasetMixer: opts.datasetMixer, datasetSplits: opts.datasetSplits, datasetConfigs: opts.datasetConfigs, skipInvalidRows: opts.skipInvalidRows ?? false },
    toPreferenceExample,
  );
  const all = [...mixed.train, ...mixed.test];
  const results = await tokenizeAll(all, cfg, tok, opts, notices);
  const skipped = [...mixed.skipped];
  const dropped: SkippedRow[] = [];
  const collect = (from: number, to: number): TokenizedPair[] => {
    const out: TokenizedPair[] = [];
    for (let i = from; i < to; i++) {
      const r = results[i]!;
      if ('error' in r) {
        if (!opts.skipInvalidRows) throw new PoetError(`${formatLocation(r.loc)}: ${r.error}`);
        skipped.push({ loc: r.loc, reason: r.error });
        continue;
      }
      const lens = pairResponseLens(r.pair);
      if (lens.chosen === 0 || lens.rejected === 0 || poetK(r.pair) === 0) {
        dropped.push({ loc: all[i]!.loc, reason: `no scored response token (chosen ${lens.chosen}, rejected ${lens.rejected}) after truncation` });
        continue;
      }
      out.push(r.pair);
    }
    return out;
  };
  const train = collect(0, mixed.train.length);
  const test = collect(mixed.train.length, all.length);
  if (dropped.length > 0) {
    notices.push(`${dropped.length} pair(s) dropped: a response had no token left to score after truncation (first: ${formatLocation(dropped[0]!.loc)})`);
  }
  if (skipped.length > 0) notices.push(`${skipped.length} invalid row(s) skipped (skip_invalid_rows: true); first: ${formatLocation(skipped[0]!.loc)}: ${skipped[0]!.reason}`);
  const summary: PreferenceDataSummary = { splits: mixed.splits, skipped, droppedNoScoredTokens: dropped, notices, lengths };
  if (cacheFile) writeCache(cacheFile, { train, test, summary });
  return { train, test, summary, fromCache: false, cacheFile, tokenizer: tok };
}

/**
 * A worker running a .ts module. `execArgv: ['--import', 'tsx']` is not enough under every runner
 * (node --test on Node 20 loses the hooks), so a tiny eval'd bootstrap registers tsx's ESM loader in
 * the worker itself and then imports the module.
 */
function startTsWorker(url: URL, workerData: unknown): Worker {
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

const CHUNK = 256;
const IN_PROCESS_BELOW = 2000;

async function tokenizeAll(examples: PreferenceExample[], cfg: PairJobConfig, tok: JobTokenizer, opts: DataOptions, notices: string[]): Promise<PairResult[]> {
  const workers = opts.workers ?? (examples.length < IN_PROCESS_BELOW ? 0 : Math.min(availableParallelism(), 4));
  if (workers <= 0) {
    const job = makePairJob(tok, cfg);
    const out: PairResult[] = [];
    for (let i = 0; i < examples.length; i += CHUNK) {
      out.push(...job.run(examples.slice(i, i + CHUNK)));
      opts.onProgress?.(out.length, examples.length);
    }
    if (job.encoder.shortcutDisabledReason) notices.push(`tokenize shortcut: ${job.encoder.shortcutDisabledReason}`);
    return out;
  }
  return tokenizeInWorkers(examples, cfg, workers, opts, notices);
}

function tokenizeInWorkers(examples: PreferenceExample[], cfg: PairJobConfig, n: number, opts: DataOptions, notices: string[]): Promise<PairResult[]> {
  const chunks = Math.ceil(examples.length / CHUNK);
  const results: PairResult[][] = new Array(chunks);
  let next = 0;
  let done = 0;
  let finished = 0;
  const pool: Worker[] = [];
  return new Promise((resolve, reject) => {
    let failed = false;
    const fail = (e: Error) => {
      if (failed) return;
      failed = true;
      for (const w of pool) void w.terminate();
      reject(e);
    };
    const feed = (w: Worker) => {
      if (next >= chunks) return;
      const id = next++;
      w.postMessage({ id, examples: examples.slice(id * CHUNK, (id + 1) * CHUNK) });
    };
    for (let i = 0; i < Math.min(n, chunks); i++) {
      const w = startTsWorker(new URL('./tokenize_worker.ts', import.meta.url), cfg);
      pool.push(w);
      w.on('error', (e) => fail(e instanceof PoetError ? e : new PoetError(`tokenizer worker failed: ${e.message}`)));
      w.on('message', (msg: { ready?: boolean; id?: number; results?: PairResult[]; fatal?: string; shortcutDisabledReason?: string | null }) => {
        if (msg.ready) return feed(w);
        if (msg.fatal !== undefined) return fail(new Error(`tokenizer worker: ${msg.fatal}`));
        results[msg.id!] = msg.results!;
        done += msg.results!.length;
        if (msg.shortcutDisabledReason && !notices.some((x) => x.startsWith('tokenize shortcut'))) notices.push(`tokenize shortcut: ${msg.shortcutDisabledReason}`);
        opts.onProgress?.(done, examples.length);
        finished++;
        if (finished === chunks) {
          for (const x of pool) void x.terminate();
          resolve(results.flat());
        } else feed(w);
      });
    }
    if (chunks === 0) resolve([]);
  });
}
