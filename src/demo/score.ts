/**
 * Scoring generated responses: the task reward per prompt, and the AlpacaEval-style head-to-head against the
 * SFT model's outputs with the rule-based judge (through `runAlpacaEval`, so win rate and LC are computed by the
 * same code as with the API judge).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAlpacaEval } from '../eval/alpaca/run.ts';
import type { AlpacaRecord } from '../eval/alpaca/types.ts';
import { PoetError } from '../util/errors.ts';
import { RuleJudge } from './judge.ts';
import { reward } from './reward.ts';

/** Placeholder for an empty generation in AlpacaEval outputs files (which reject empty outputs). */
export const EMPTY_OUTPUT = '(empty)';

export interface GenerationFiles {
  /** AlpacaEval outputs format: [{instruction, output, generator}] */
  outputsFile: string;
  /** the raw responses, as the engine returned them */
  rawFile: string;
}

export function generationFiles(dir: string): GenerationFiles {
  return { outputsFile: join(dir, 'outputs.json'), rawFile: join(dir, 'raw.json') };
}

export function writeGenerations(dir: string, generator: string, instructions: string[], responses: string[]): GenerationFiles {
  if (responses.length !== instructions.length) {
    throw new PoetError(`generation for ${generator}: expected ${instructions.length} responses (one per held-out prompt), got ${responses.length}`);
  }
  const f = generationFiles(dir);
  const records: AlpacaRecord[] = instructions.map((instruction, i) => ({
    instruction,
    output: responses[i]!.trim() === '' ? EMPTY_OUTPUT : responses[i]!,
    generator,
  }));
  writeFileSync(f.outputsFile, JSON.stringify(records, null, 2) + '\n');
  writeFileSync(f.rawFile, JSON.stringify(instructions.map((instruction, i) => ({ instruction, response: responses[i] })), null, 2) + '\n');
  return f;
}

export function readRawGenerations(dir: string): { instruction: string; response: string }[] {
  const f = generationFiles(dir).rawFile;
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as { instruction: string; response: string }[];
  } catch (e) {
    throw new PoetError(`${f}: cannot read the generations (${(e as Error).message}); delete its folder to regenerate`);
  }
}

export interface RewardSummary {
  meanReward: number;
  /** share of responses with the full correct opening, in % */
  correctRate: number;
  /** mean characters of the raw responses (AlpacaEval's avg_length unit) */
  avgLength: number;
  n: number;
}

export function summariseRewards(rows: { instruction: string; response: string }[]): { summary: RewardSummary; perPrompt: number[] } {
  const perPrompt = rows.map((r) => reward(r.instruction, r.response));
  const n = rows.length;
  const mean = (v: number[]) => (n ? v.reduce((a, b) => a + b, 0) / n : NaN);
  return {
    perPrompt,
    summary: {
      meanReward: mean(perPrompt),
      correctRate: 100 * mean(perPrompt.map((r) => (r === 1 ? 1 : 0))),
      avgLength: mean(rows.map((r) => [...r.response].length)),
      n,
    },
  };
}

export interface HeadToHead {
  winRate: number;
  standardError: number;
  /** length-controlled win rate (no-difficulty variant), null when the GLM was skipped */
  lcWinRate: number | null;
  nWins: number;
  nLosses: number;
  nDraws: number;
  lcNote?: string;
}

/** Judge a model's outputs against the reference (SFT) outputs; writes alpaca_eval-like files into `outDir`. */
export async function headToHead(modelOutputs: string, referenceOutputs: string, outDir: string, name: string, seed: number): Promise<HeadToHead> {
  const r = await runAlpacaEval({ modelOutputs, referenceOutputs, outDir, judge: new RuleJudge(), seed, name, useCache: false });
  const m = r.metrics;
  const h: HeadToHead = {
    winRate: m.win_rate,
    standardError: m.standard_error,
    lcWinRate: m.length_controlled_winrate ?? m.length_controlled_winrate_nodiff,
    nWins: m.n_wins,
    nLosses: m.n_wins_base,
    nDraws: m.n_draws,
  };
  if (m.lc_note) h.lcNote = m.lc_note;
  return h;
}
