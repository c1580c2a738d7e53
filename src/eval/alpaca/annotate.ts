/**
 * Pairwise annotation with output-order randomisation (AlpacaEval's PairwiseAnnotator with
 * is_randomize_output_order=True, spec §6.2): per pair a seeded coin decides whether the judge sees the
 * model's output first; a verdict x from a switched presentation is mapped back as 3 − x. The coin hashes the
 * seed and the instruction, so it does not depend on the file order, and cached verdicts stay valid.
 * Verdicts already in the cache are reused; only the rest go to the judge.
 */
import { createHash } from 'node:crypto';
import type { AnnotationCache } from './cache.ts';
import type { OutputPair } from './inputs.ts';
import type { Annotation, JudgeItem, JudgeVerdict, PairwiseJudge } from './types.ts';

export function isSwitched(seed: number, instruction: string): boolean {
  const h = createHash('sha256').update(`is_switched_outputs\u0000${seed}\u0000${instruction}`).digest();
  return (h[0]! & 1) === 1;
}

export function defaultCacheKey(judge: PairwiseJudge, item: JudgeItem): string {
  return createHash('sha256').update(JSON.stringify({ judge: judge.name, item })).digest('hex');
}

export interface AnnotateOptions {
  seed: number;
  cache?: AnnotationCache;
  onProgress?: (done: number, total: number) => void;
}

export interface AnnotateResult {
  annotations: Annotation[];
  /** pairs answered from the cache */
  nCached: number;
  /** pairs sent to the judge that came back with a verdict */
  nJudged: number;
  /** pairs the judge did not get to (request budget) */
  nMissing: number;
  /** pairs the judge gave up on (retries exhausted, request refused) */
  nFailed: number;
}

export async function annotatePairs(
  pairs: OutputPair[],
  judge: PairwiseJudge,
  opts: AnnotateOptions,
): Promise<AnnotateResult> {
  const switched = pairs.map((p) => isSwitched(opts.seed, p.instruction));
  const items: JudgeItem[] = pairs.map((p, i) =>
    switched[i]
      ? { instruction: p.instruction, output_1: p.model.output, output_2: p.reference.output }
      : { instruction: p.instruction, output_1: p.reference.output, output_2: p.model.output },
  );
  const keys = items.map((it) => (judge.cacheKey ? judge.cacheKey(it) : defaultCacheKey(judge, it)));
  const verdicts: (JudgeVerdict | undefined)[] = keys.map((k) => opts.cache?.get(k));
  const todo = verdicts.flatMap((v, i) => (v === undefined ? [i] : []));
  const nCached = pairs.length - todo.length;
  const sent = new Set(todo);
  let done = nCached;
  opts.onProgress?.(done, pairs.length);
  if (todo.length > 0) {
    const fresh = await judge.judge(
      todo.map((i) => items[i]!),
      {
        onVerdict: (j, v) => opts.cache?.set(keys[todo[j]!]!, v),
        onItemDone: () => opts.onProgress?.(++done, pairs.length),
      },
    );
    todo.forEach((i, j) => {
      verdicts[i] = fresh[j];
    });
  }

  let nJudged = 0;
  let nMissing = 0;
  let nFailed = 0;
  const annotations = pairs.map((p, i): Annotation => {
    const v = verdicts[i];
    if (sent.has(i)) {
      if (v === undefined) nMissing++;
      else if (v.error) nFailed++;
      else nJudged++;
    }
    let preference: number | null = null;
    if (v && !v.error && !Number.isNaN(v.preference)) preference = switched[i] ? 3 - v.preference : v.preference;
    const a: Annotation = {
      instruction: p.instruction,
      output_1: p.reference.output,
      generator_1: p.reference.generator,
      output_2: p.model.output,
      generator_2: p.model.generator,
      annotator: judge.name,
      preference,
      is_switched_outputs: switched[i]!,
    };
    if (p.dataset !== undefined) a.dataset = p.dataset;
    if (v?.raw !== undefined) a.raw_completion = v.raw;
    if (v?.error) a.error = v.error;
    else if (v === undefined) a.error = 'not judged: the request budget (--max_requests) ran out';
    return a;
  });
  return { annotations, nCached, nJudged, nMissing, nFailed };
}
