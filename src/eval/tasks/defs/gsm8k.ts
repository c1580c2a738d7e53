/**
 * GSM8K as lm-eval 0.4.7 `gsm8k` (version 3.0): "Question: {question}\nAnswer:" with few-shot examples
 * "Question: …\nAnswer: {full worked answer}" from train; greedy generation until "Question:", "</s>" or
 * "<|im_end|>" (at most 256 new tokens); two answer filters, strict-match (first "#### n") and
 * flexible-extract (the last number-like string), each scored by exact_match against the reference's
 * "#### n" with ",", "$" and a final "." ignored, case-insensitive.
 * Data: gsm8k "main" rows {question, answer}.
 */
import { str } from '../data.ts';
import { GSM8K_FLEXIBLE, GSM8K_STRICT, gsm8kExactMatch, regexExtract } from '../metrics.ts';
import type { Doc, TaskSpec } from '../types.ts';

export const gsm8k: TaskSpec = {
  name: 'gsm8k',
  version: 3.0,
  outputType: 'generate_until',
  dataset: 'gsm8k',
  trainingSplit: 'train',
  validationSplit: null,
  testSplit: 'test',
  fewshotSplit: 'train',
  sampler: 'default',
  defaultShots: 5,
  processDoc: (raw, where) => ({ question: str(raw, 'question', where), answer: str(raw, 'answer', where) }),
  docToText: (d: Doc) => `Question: ${d.question as string}\nAnswer:`,
  docToTarget: (d: Doc) => d.answer as string,
  targetDelimiter: ' ',
  fewshotDelimiter: '\n\n',
  metrics: ['exact_match'],
  filterNames: ['strict-match', 'flexible-extract'],
  generation: { until: ['Question:', '</s>', '<|im_end|>'], maxNewTokens: 256 },
  processResults: (d: Doc, r) => {
    const text = r as string;
    const ref = d.answer as string;
    return {
      'exact_match,strict-match': gsm8kExactMatch(regexExtract(text, GSM8K_STRICT, 0), ref),
      'exact_match,flexible-extract': gsm8kExactMatch(regexExtract(text, GSM8K_FLEXIBLE, -1), ref),
    };
  },
};
