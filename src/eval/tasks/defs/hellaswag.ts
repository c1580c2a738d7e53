/**
 * HellaSwag as lm-eval 0.4.7 `hellaswag` (version 1.0). Each row is preprocessed as lm-eval does:
 *   query   = preprocess(activity_label + ": " + ctx_a + " " + capitalize(ctx_b))
 *   choices = preprocess(ending) for each ending, gold = int(label)
 * with preprocess = strip, " [title]" → ". ", drop "[...]" (WikiHow artefacts), "  " → " ".
 * Python's str.capitalize upper-cases the first character and lower-cases the rest. Rows that only have
 * `ctx` (no ctx_a/ctx_b) use it as is, without the capitalisation step. acc and acc_norm; evaluated on
 * validation, few-shot from train.
 */
import { PoetError } from '../../../util/errors.ts';
import { str, strArray } from '../data.ts';
import { multipleChoiceScores } from '../metrics.ts';
import type { Doc, LoglikelihoodResult, TaskSpec } from '../types.ts';

export function hellaswagPreprocess(text: string): string {
  return text.trim().replaceAll(' [title]', '. ').replace(/\[.*?\]/g, '').replaceAll('  ', ' ');
}

function pyCapitalize(s: string): string {
  const first = [...s][0];
  if (first === undefined) return s;
  return first.toUpperCase() + s.slice(first.length).toLowerCase();
}

export function intLabel(v: unknown, where: string, field: string, count: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0 || n >= count) {
    throw new PoetError(`${where}: field "${field}" must be an integer label in 0..${count - 1}, found ${JSON.stringify(v ?? null)}`);
  }
  return n;
}

export const hellaswag: TaskSpec = {
  name: 'hellaswag',
  version: 1.0,
  outputType: 'multiple_choice',
  dataset: 'hellaswag',
  trainingSplit: 'train',
  validationSplit: 'validation',
  testSplit: null,
  fewshotSplit: null,
  sampler: 'default',
  defaultShots: 10,
  processDoc: (raw, where) => {
    const activity = str(raw, 'activity_label', where);
    const ctx =
      typeof raw.ctx_a === 'string' && typeof raw.ctx_b === 'string'
        ? `${raw.ctx_a} ${pyCapitalize(raw.ctx_b)}`
        : str(raw, 'ctx', where);
    const endings = strArray(raw, 'endings', where, 2);
    return {
      query: hellaswagPreprocess(`${activity}: ${ctx}`),
      choices: endings.map(hellaswagPreprocess),
      gold: intLabel(raw.label, where, 'label', endings.length),
    };
  },
  docToText: (d: Doc) => d.query as string,
  docToTarget: (d: Doc) => d.gold as number,
  docToChoice: (d: Doc) => d.choices as string[],
  targetDelimiter: ' ',
  fewshotDelimiter: '\n\n',
  metrics: ['acc', 'acc_norm'],
  processResults: (d: Doc, r) => multipleChoiceScores(r as LoglikelihoodResult[], d.choices as string[], d.gold as number, true),
};
