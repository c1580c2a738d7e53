/**
 * ARC-Challenge as lm-eval 0.4.7 `arc_challenge` (version 1.0): "Question: {question}\nAnswer:" scored against
 * " {choice text}"; gold = index of answerKey in choices.label; acc and acc_norm; few-shot from train.
 * Data: allenai/ai2_arc ARC-Challenge rows {id?, question, choices: {text[], label[]}, answerKey}.
 */
import { PoetError } from '../../../util/errors.ts';
import { obj, str, strArray } from '../data.ts';
import { multipleChoiceScores } from '../metrics.ts';
import type { Doc, LoglikelihoodResult, TaskSpec } from '../types.ts';

export const arcChallenge: TaskSpec = {
  name: 'arc_challenge',
  version: 1.0,
  outputType: 'multiple_choice',
  dataset: 'arc_challenge',
  trainingSplit: 'train',
  validationSplit: 'validation',
  testSplit: 'test',
  fewshotSplit: null,
  sampler: 'default',
  defaultShots: 25,
  processDoc: (raw, where) => {
    const question = str(raw, 'question', where);
    const choices = obj(raw, 'choices', where);
    const text = strArray(choices, 'text', `${where}: choices`, 2);
    const label = strArray(choices, 'label', `${where}: choices`, 2);
    if (label.length !== text.length) {
      throw new PoetError(`${where}: choices.text has ${text.length} entries but choices.label has ${label.length}`);
    }
    const answerKey = str(raw, 'answerKey', where);
    const gold = label.indexOf(answerKey);
    if (gold < 0) throw new PoetError(`${where}: answerKey ${JSON.stringify(answerKey)} is not one of choices.label ${JSON.stringify(label)}`);
    return { question, choices: text, gold };
  },
  docToText: (d: Doc) => `Question: ${d.question as string}\nAnswer:`,
  docToTarget: (d: Doc) => d.gold as number,
  docToChoice: (d: Doc) => d.choices as string[],
  targetDelimiter: ' ',
  fewshotDelimiter: '\n\n',
  metrics: ['acc', 'acc_norm'],
  processResults: (d: Doc, r) => multipleChoiceScores(r as LoglikelihoodResult[], d.choices as string[], d.gold as number, true),
};
