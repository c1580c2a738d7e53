/**
 * The model interface the downstream tasks need (lm-eval's `LM` API), and the task description they are
 * written against. A scorer may answer synchronously or with a promise.
 */

export interface LoglikelihoodRequest {
  /** everything before the continuation (few-shot examples, question) */
  context: string;
  /** the scored text, usually starting with a space (lm-eval's target_delimiter) */
  continuation: string;
}

export interface LoglikelihoodResult {
  /** log P(continuation | context), summed over the continuation's tokens */
  logprob: number;
  /** whether greedy decoding from the context would produce exactly the continuation */
  isGreedy: boolean;
}

export interface GenerateRequest {
  context: string;
  /** stop strings: generation ends before the first occurrence of any of them */
  until: string[];
  maxNewTokens: number;
}

export interface LanguageModelScorer {
  loglikelihood(requests: LoglikelihoodRequest[]): Promise<LoglikelihoodResult[]> | LoglikelihoodResult[];
  /** greedy generation, one string per request (without the context) */
  generateUntil(requests: GenerateRequest[]): Promise<string[]> | string[];
}

export type Doc = Record<string, unknown>;

/** One evaluated document's per-document metric values (e.g. {acc: 1, acc_norm: 0}). */
export type DocScores = Record<string, number>;

/**
 * A task in lm-eval's ConfigurableTask terms. `docToText` returning a number means "the index of the choice
 * that is the context" (Winogrande's partial scoring: the choices are contexts, the target is scored).
 */
export interface TaskSpec {
  name: string;
  /** lm-eval task version this follows */
  version: number;
  outputType: 'multiple_choice' | 'generate_until';
  /** sub-folder of --data_dir */
  dataset: string;
  trainingSplit: string | null;
  validationSplit: string | null;
  testSplit: string | null;
  fewshotSplit: string | null;
  sampler: 'default' | 'first_n';
  defaultShots: number;
  /** optional per-dataset preprocessing (and validation) of a raw row; `where` names file and row */
  processDoc?: (raw: Doc, where: string) => Doc;
  /** restrict rows (MMLU: one subject) */
  filterDoc?: (doc: Doc) => boolean;
  description?: (doc: Doc) => string;
  docToText: (doc: Doc) => string | number;
  /** a string (the text after the delimiter) or the gold choice index */
  docToTarget: (doc: Doc) => string | number;
  docToChoice?: (doc: Doc) => string[];
  targetDelimiter: string;
  fewshotDelimiter: string;
  /** metric names reported, in order */
  metrics: string[];
  /** per-document scores from the model's answers (log-likelihood results, or the generation) */
  processResults: (doc: Doc, results: LoglikelihoodResult[] | string) => DocScores;
  generation?: { until: string[]; maxNewTokens: number };
  /** filter name in the metric key (`exact_match,strict-match`); 'none' for the multiple-choice tasks */
  filterNames?: string[];
}
