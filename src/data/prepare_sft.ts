/**
 * SFT data: sources → mixer (same rules as preference data) → `messages` validation → tokenizeSft.
 * In-process and uncached: SFT sets are small in poet's use (the demo, tests); add the preference
 * pipeline's cache and workers here if that changes.
 */
import { PoetError } from '../util/errors.ts';
import { loadTokenizer } from '../tokenizer/index.ts';
import { loadMixed } from './mixer.ts';
import type { SplitSummary } from './mixer.ts';
import { tokenizeSft } from './sft.ts';
import type { SkippedRow, TokenizedSft } from './types.ts';
import { toSftExample } from './validate.ts';

export interface SftDataOptions {
  datasetMixer: Record<string, number>;
  datasetSplits: string[];
  datasetConfigs?: string[] | null;
  tokenizerDir: string;
  chatTemplate?: string | null;
  /** Sequences keep their first maxLength tokens (default 512). */
  maxLength?: number | null;
  autoInsertEmptySystemMsg?: boolean;
  skipInvalidRows?: boolean;
}

export interface PreparedSftData {
  train: TokenizedSft[];
  test: TokenizedSft[];
  splits: SplitSummary[];
  skipped: SkippedRow[];
  truncated: number;
}

export async function prepareSftData(opts: SftDataOptions): Promise<PreparedSftData> {
  const maxLength = opts.maxLength ?? 512;
  if (!Number.isInteger(maxLength) || maxLength < 2) throw new PoetError(`max_length: expected an integer ≥ 2, found ${maxLength}`);
  const tok = await loadTokenizer(opts.tokenizerDir, opts.chatTemplate ? { chatTemplate: opts.chatTemplate } : {});
  const mixed = await loadMixed(
    { datasetMixer: opts.datasetMixer, datasetSplits: opts.datasetSplits, datasetConfigs: opts.datasetConfigs, skipInvalidRows: opts.skipInvalidRows ?? false },
    toSftExample,
  );
  const o = { maxLength, autoInsertEmptySystemMsg: opts.autoInsertEmptySystemMsg ?? true };
  const train = mixed.train.map((ex) => tokenizeSft(ex, tok, o));
  const test = mixed.test.map((ex) => tokenizeSft(ex, tok, o));
  const truncated = [...train, ...test].filter((x) => x.truncated).length;
  return { train, test, splits: mixed.splits, skipped: mixed.skipped, truncated };
}
