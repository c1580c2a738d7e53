/**
 * `poet logps`: for every pair of a preference file, in file order, the summed and mean log-prob of the
 * chosen and rejected responses under a model, their scored token counts and the POET k. Used for analysis,
 * for precomputing reference log-probs and for checking numerics.
 *
 * The pairs go through exactly the training pipeline (chat template, tokenize_row, truncation, POET masks
 * by response index), so `chosen_logp_sum` here equals what a DPO trainer with the same settings uses.
 */
import { buildPairBatch } from '../data/batch.ts';
import { makePairJob } from '../data/pair_job.ts';
import { readRecords } from '../data/sources.ts';
import { defaultLengths } from '../data/tokenize.ts';
import { formatLocation, type PreferenceExample, type TokenizedPair } from '../data/types.ts';
import { toPreferenceExample } from '../data/validate.ts';
import { loadModelDir } from '../io/model_dir.ts';
import { createModel } from '../models/index.ts';
import { loadTokenizer } from '../tokenizer/index.ts';
import { PoetError } from '../util/errors.ts';
import { Progress } from '../util/progress.ts';
import { pairSums } from './pair_step.ts';

export interface LogpsOptions {
  modelDir: string;
  dataFile: string;
  usePoet: boolean;
  maxLength?: number | null;
  maxPromptLength?: number | null;
  maxCompletionLength?: number | null;
  truncationMode?: 'keep_end' | 'keep_start';
  chatTemplate?: string | null;
  batchSize?: number;
  plainProgress?: boolean;
}

export interface PairLogpsRow {
  index: number;
  chosen_logp_sum: number;
  rejected_logp_sum: number;
  chosen_logp_mean: number;
  rejected_logp_mean: number;
  chosen_tokens: number;
  rejected_tokens: number;
  /** min(scored chosen, scored rejected) response tokens; the count scored on each side with POET. */
  poet_k: number;
  use_poet: boolean;
}

export async function computePairLogps(o: LogpsOptions): Promise<PairLogpsRow[]> {
  const tok = await loadTokenizer(o.modelDir, o.chatTemplate ? { chatTemplate: o.chatTemplate } : {});
  const lengths = { ...defaultLengths('dpo', o), truncationMode: o.truncationMode ?? 'keep_end' };
  const job = makePairJob(tok, { tokenizerDir: o.modelDir, chatTemplate: o.chatTemplate ?? null, lengths, autoInsertEmptySystemMsg: true });
  const examples: PreferenceExample[] = [];
  for await (const r of readRecords(o.dataFile)) {
    if ('error' in r) throw new PoetError(`${formatLocation(r.loc)}: ${r.error}`);
    examples.push(toPreferenceExample(r.record, r.loc));
  }
  if (examples.length === 0) throw new PoetError(`${o.dataFile}: no pairs`);
  const pairs: TokenizedPair[] = job.run(examples).map((res) => {
    if ('error' in res) throw new PoetError(`${formatLocation(res.loc)}: ${res.error}`);
    return res.pair;
  });
  const loaded = loadModelDir(o.modelDir);
  const model = createModel(loaded.config, loaded.weights);
  const padId = tok.padTokenId ?? tok.eosTokenId ?? 0;
  const bs = o.batchSize ?? 8;
  const out: PairLogpsRow[] = [];
  const bar = new Progress({ label: 'logps', total: pairs.length, plain: o.plainProgress, intervalMs: 10_000 });
  for (let s = 0; s < pairs.length; s += bs) {
    const chunk = pairs.slice(s, s + bs);
    const B = chunk.length;
    const batch = buildPairBatch(chunk, { padId, usePoet: o.usePoet, needTail: false });
    const sums = pairSums(model, batch);
    for (let i = 0; i < B; i++) {
      const nc = batch.scoredCounts[i]!;
      const nr = batch.scoredCounts[B + i]!;
      out.push({
        index: s + i,
        chosen_logp_sum: sums.chosen[i]!,
        rejected_logp_sum: sums.rejected[i]!,
        chosen_logp_mean: nc > 0 ? sums.chosen[i]! / nc : NaN,
        rejected_logp_mean: nr > 0 ? sums.rejected[i]! / nr : NaN,
        chosen_tokens: nc,
        rejected_tokens: nr,
        poet_k: Math.min(batch.responseLens[i]!, batch.responseLens[B + i]!),
        use_poet: o.usePoet,
      });
    }
    bar.update(s + B);
  }
  bar.stop();
  return out;
}
