/**
 * Winogrande as lm-eval 0.4.7 `winogrande` (version 1.0), "partial scoring" (Trinh & Le 2018): the two
 * candidate contexts are sentence[:blank] + option, and the shared continuation " " + the text after the
 * blank (stripped) is scored under each; acc. Evaluated on validation (winogrande_xl), few-shot from train,
 * where a few-shot example is the gold-filled sentence: prefix + gold option + " " + suffix.
 * Data: rows {sentence (with one "_"), option1, option2, answer ("1" or "2")}.
 */
import { PoetError } from '../../../util/errors.ts';
import { str } from '../data.ts';
import { multipleChoiceScores } from '../metrics.ts';
import type { Doc, LoglikelihoodResult, TaskSpec } from '../types.ts';

export const winogrande: TaskSpec = {
  name: 'winogrande',
  version: 1.0,
  outputType: 'multiple_choice',
  dataset: 'winogrande',
  trainingSplit: 'train',
  validationSplit: 'validation',
  testSplit: null,
  fewshotSplit: null,
  sampler: 'default',
  defaultShots: 5,
  processDoc: (raw, where) => {
    const sentence = str(raw, 'sentence', where);
    const blank = sentence.indexOf('_');
    if (blank < 0) throw new PoetError(`${where}: field "sentence" has no "_" blank: ${JSON.stringify(sentence.slice(0, 60))}`);
    const answer = String(raw.answer ?? '').trim();
    if (answer !== '1' && answer !== '2') {
      throw new PoetError(`${where}: field "answer" must be "1" or "2", found ${JSON.stringify(raw.answer ?? null)}`);
    }
    const options = [str(raw, 'option1', where), str(raw, 'option2', where)];
    return {
      contexts: options.map((o) => sentence.slice(0, blank) + o),
      suffix: sentence.slice(blank + 1).trim(),
      gold: Number(answer) - 1,
    };
  },
  docToText: (d: Doc) => d.gold as number,
  docToTarget: (d: Doc) => d.suffix as string,
  docToChoice: (d: Doc) => d.contexts as string[],
  targetDelimiter: ' ',
  fewshotDelimiter: '\n\n',
  metrics: ['acc'],
  processResults: (d: Doc, r) => multipleChoiceScores(r as LoglikelihoodResult[], d.contexts as string[], d.gold as number, false),
};
