/**
 * `precompute_ref_log_probs`: the reference model's POET-masked log-prob sums for every pair, computed
 * once before training and cached on disk next to the tokenized data, so a rerun (or a resumed run) does
 * not pay for the reference forward passes again.
 *
 * Cache key: the tokenized-data cache file (itself keyed by data files, tokenizer, template and length
 * settings), the reference model's files (name, size, mtime of config.json and the weight files), and the
 * batching options that change the scored tokens (use_poet, needTail). The sums are per pair and do not
 * depend on how pairs are batched (right padding + causal attention), so any batch size gives the same
 * numbers up to float rounding.
 *
 * Unlike TRL 0.9.6 (spec §8.10), the cached sums are always used when precompute_ref_log_probs is on.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildPairBatch, type PairBatchOptions } from '../data/batch.ts';
import type { TokenizedPair } from '../data/types.ts';
import { writeFileAtomically } from '../io/atomic.ts';
import type { CausalLM } from '../models/index.ts';
import { Progress } from '../util/progress.ts';
import { pairSums, type PairSums } from './pair_step.ts';

export interface ReferenceSumsArgs {
  model: CausalLM;
  modelDir: string;
  dataCacheFile: string | null;
  outputDir: string;
  splits: { train: TokenizedPair[]; test: TokenizedPair[] };
  batchOpts: PairBatchOptions;
  batchSize: number;
  log: (line: string) => void;
  plainProgress?: boolean;
}

function modelFingerprint(dir: string): string {
  const h = createHash('sha256');
  for (const f of fs.readdirSync(dir).sort()) {
    if (f === 'config.json' || f.endsWith('.safetensors') || f.endsWith('.index.json')) {
      const st = fs.statSync(path.join(dir, f));
      h.update(`${f}:${st.size}:${st.mtimeMs}\n`);
    }
  }
  return h.digest('hex').slice(0, 16);
}

/** Sums for every pair of one split, in the split's order. */
export function computeReferenceSums(model: CausalLM, pairs: TokenizedPair[], batchOpts: PairBatchOptions, batchSize: number, onBatch?: (done: number) => void): PairSums {
  const chosen = new Float64Array(pairs.length);
  const rejected = new Float64Array(pairs.length);
  for (let i = 0; i < pairs.length; i += batchSize) {
    const chunk = pairs.slice(i, i + batchSize);
    const s = pairSums(model, buildPairBatch(chunk, batchOpts));
    chosen.set(s.chosen, i);
    rejected.set(s.rejected, i);
    onBatch?.(i + chunk.length);
  }
  return { chosen, rejected };
}

export function loadOrComputeReferenceSums(a: ReferenceSumsArgs): { train: PairSums; test: PairSums; file: string } {
  const key = createHash('sha256')
    .update(JSON.stringify({ data: a.dataCacheFile ?? a.splits.train.length, model: path.resolve(a.modelDir), fp: modelFingerprint(a.modelDir), poet: a.batchOpts.usePoet, tail: a.batchOpts.needTail, align: a.batchOpts.poetAlignment ?? 'response' }))
    .digest('hex')
    .slice(0, 16);
  const file = a.dataCacheFile ? `${a.dataCacheFile}.ref-${key}.json` : path.join(a.outputDir, `reference_logps-${key}.json`);
  if (fs.existsSync(file)) {
    try {
      const j = JSON.parse(fs.readFileSync(file, 'utf8')) as { train: { chosen: number[]; rejected: number[] }; test: { chosen: number[]; rejected: number[] } };
      if (j.train.chosen.length === a.splits.train.length && j.test.chosen.length === a.splits.test.length) {
        a.log(`poet: reference log-probs from ${file}`);
        const f = (s: { chosen: number[]; rejected: number[] }): PairSums => ({ chosen: Float64Array.from(s.chosen), rejected: Float64Array.from(s.rejected) });
        return { train: f(j.train), test: f(j.test), file };
      }
    } catch {
      // unreadable cache: recompute
    }
  }
  const total = a.splits.train.length + a.splits.test.length;
  const bar = new Progress({ label: 'reference log-probs', total, plain: a.plainProgress, intervalMs: 10_000 });
  const train = computeReferenceSums(a.model, a.splits.train, a.batchOpts, a.batchSize, (d) => bar.update(d));
  const test = computeReferenceSums(a.model, a.splits.test, a.batchOpts, a.batchSize, (d) => bar.update(a.splits.train.length + d));
  bar.stop();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomically(file, JSON.stringify({ train: { chosen: [...train.chosen], rejected: [...train.rejected] }, test: { chosen: [...test.chosen], rejected: [...test.rejected] } }));
  a.log(`poet: cached reference log-probs in ${file}`);
  return { train, test, file };
}
