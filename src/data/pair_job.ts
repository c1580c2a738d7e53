/**
 * The per-example work of the preference pipeline — format (chat template) then tokenize_row — shared by
 * the in-process path and the worker threads (tokenize_worker.ts), so both produce identical pairs.
 */
import { loadTokenizer } from '../tokenizer/index.ts';
import type { PoetTokenizer } from '../tokenizer/index.ts';
import { formatPair } from './format.ts';
import type { TemplateRenderer } from './format.ts';
import { PairEncoder, TokenizeRowError, tokenizePair } from './tokenize.ts';
import type { LengthOptions, TextEncoder_ } from './tokenize.ts';
import type { PreferenceExample, RowLocation, TokenizedPair } from './types.ts';

export interface PairJobConfig {
  tokenizerDir: string;
  chatTemplate?: string | null;
  lengths: LengthOptions;
  autoInsertEmptySystemMsg: boolean;
  /** Allow the prompt-reuse shortcut of PairEncoder (default true). */
  shortcut?: boolean;
}

export type PairResult = { pair: TokenizedPair } | { loc: RowLocation; error: string };

export interface PairJob {
  run(examples: readonly PreferenceExample[]): PairResult[];
  encoder: PairEncoder;
}

export type JobTokenizer = TemplateRenderer & TextEncoder_;

export function makePairJob(tok: JobTokenizer, cfg: PairJobConfig): PairJob {
  const encoder = new PairEncoder(tok, { shortcut: cfg.shortcut });
  const fmt = { autoInsertEmptySystemMsg: cfg.autoInsertEmptySystemMsg };
  return {
    encoder,
    run(examples) {
      return examples.map((ex) => {
        try {
          return { pair: tokenizePair(encoder, formatPair(ex, tok, fmt), tok.bosTokenId, tok.eosTokenId, cfg.lengths) };
        } catch (e) {
          if (e instanceof TokenizeRowError) return { loc: ex.loc, error: e.message };
          // A template that raises (e.g. Gemma rejecting a role) is a row problem too.
          if (e instanceof Error && e.name === 'PoetError') return { loc: ex.loc, error: e.message };
          throw e;
        }
      });
    },
  };
}

export async function loadJobTokenizer(cfg: PairJobConfig): Promise<PoetTokenizer> {
  return loadTokenizer(cfg.tokenizerDir, cfg.chatTemplate ? { chatTemplate: cfg.chatTemplate } : {});
}
