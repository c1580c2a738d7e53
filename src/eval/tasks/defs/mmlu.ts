/**
 * MMLU as lm-eval 0.4.7's default `mmlu_<subject>` tasks: description "The following are multiple choice
 * questions (with answers) about <subject with spaces>.\n\n", text "<question.strip()>\nA. …\nB. …\nC. …\nD. …
 * \nAnswer:", choices " A".." D", acc only; few-shot = the first n rows of the subject's dev split.
 * Data: cais/mmlu ("all") rows {question, choices[4], answer (0-3), subject}; one file per split holds all
 * subjects. The `mmlu` group is the size-weighted mean over the subjects present in the test split.
 */
import { str, strArray } from '../data.ts';
import { multipleChoiceScores } from '../metrics.ts';
import type { Doc, LoglikelihoodResult, TaskSpec } from '../types.ts';
import { intLabel } from './hellaswag.ts';

export function mmluSubjectTask(subject: string): TaskSpec {
  return {
    name: `mmlu_${subject}`,
    version: 1.0,
    outputType: 'multiple_choice',
    dataset: 'mmlu',
    trainingSplit: null,
    validationSplit: 'validation',
    testSplit: 'test',
    fewshotSplit: 'dev',
    sampler: 'first_n',
    defaultShots: 5,
    processDoc: (raw, where) => {
      const choices = strArray(raw, 'choices', where, 4);
      return {
        question: str(raw, 'question', where),
        choices: choices.slice(0, 4),
        answer: intLabel(raw.answer, where, 'answer', 4),
        subject: str(raw, 'subject', where),
      };
    },
    filterDoc: (d: Doc) => d.subject === subject,
    description: () => `The following are multiple choice questions (with answers) about ${subject.replaceAll('_', ' ')}.\n\n`,
    docToText: (d: Doc) => {
      const c = d.choices as string[];
      return `${(d.question as string).trim()}\nA. ${c[0]}\nB. ${c[1]}\nC. ${c[2]}\nD. ${c[3]}\nAnswer:`;
    },
    docToTarget: (d: Doc) => d.answer as number,
    docToChoice: () => ['A', 'B', 'C', 'D'],
    targetDelimiter: ' ',
    fewshotDelimiter: '\n\n',
    metrics: ['acc'],
    processResults: (d: Doc, r) => multipleChoiceScores(r as LoglikelihoodResult[], ['A', 'B', 'C', 'D'], d.answer as number, false),
  };
}
