/**
 * Types shared by AlpacaEval-style judging. A judge only ever sees a pair already in presentation order
 * (`output_1` shown as "m", `output_2` as "M"); the annotator randomises the order and maps the verdict back,
 * so any judge (the API judge, the demo's rule-based judge) implements just `PairwiseJudge`.
 *
 * Preference convention (AlpacaEval, spec §6.2): in [1, 2]; 1 = output_1 wins, 2 = output_2 wins, 1.5 = draw,
 * NaN = no verdict (dropped from the metrics).
 */

/** One row of an AlpacaEval outputs file (`[{instruction, output, generator, dataset?}]`). */
export interface AlpacaRecord {
  instruction: string;
  output: string;
  generator: string;
  dataset?: string;
}

/** A pair as the judge sees it. */
export interface JudgeItem {
  instruction: string;
  output_1: string;
  output_2: string;
}

/** The judge's verdict in its own (presentation) order. */
export interface JudgeVerdict {
  /** in [1, 2] (1 = output_1 better), or NaN when the answer could not be parsed. */
  preference: number;
  /** what the judge returned, kept in the annotations file (e.g. the first token's top log-probs). */
  raw?: unknown;
  /** set when the judge gave up on this item (e.g. retries exhausted); the item is dropped, not cached. */
  error?: string;
}

export interface JudgeOptions {
  /** called after each finished item (for progress display). */
  onItemDone?: (index: number, verdict: JudgeVerdict | undefined) => void;
  /**
   * Called once per finished item that has a verdict; the annotator uses it to write the cache as it goes.
   */
  onVerdict?: (index: number, verdict: JudgeVerdict) => void;
}

/**
 * A pairwise judge. `judge` returns one entry per item, in order; `undefined` means "not judged" (for
 * example the request budget ran out), which the caller reports as a partial run.
 */
export interface PairwiseJudge {
  name: string;
  judge(items: JudgeItem[], opts?: JudgeOptions): Promise<(JudgeVerdict | undefined)[]>;
  /** Stable key of one judgement (judge identity + the exact prompt); defaults to a hash of name + item. */
  cacheKey?(item: JudgeItem): string;
}

/** One judged pair in the annotations file, in AlpacaEval's column names (output_1 = reference). */
export interface Annotation {
  instruction: string;
  output_1: string;
  generator_1: string;
  output_2: string;
  generator_2: string;
  dataset?: string;
  annotator: string;
  /** in the reference/model frame: 1 = reference wins, 2 = model wins; null = no verdict. */
  preference: number | null;
  /** whether the judge saw the model's output first ("m"). */
  is_switched_outputs: boolean;
  raw_completion?: unknown;
  error?: string;
}
