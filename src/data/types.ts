/**
 * Shared types of the preference data pipeline (spec §3): what a source row becomes after validation,
 * after chat-template formatting, and after tokenization. Modules in src/data import from here only.
 */

/** One OpenAI-format chat message. */
export interface ChatMessage {
  role: string;
  content: string;
}

/** Where a row came from, for error messages: the file and its 0-based row (JSONL: line - 1). */
export interface RowLocation {
  file: string;
  row: number;
  /** 1-based line for JSONL sources. */
  line?: number;
}

/** `file, line 12 (row 11)` / `file, row 11`: the location part of every data error message. */
export function formatLocation(loc: RowLocation): string {
  return loc.line !== undefined ? `${loc.file}, line ${loc.line} (row ${loc.row})` : `${loc.file}, row ${loc.row}`;
}

/**
 * A validated preference example, still as messages. `prompt` is the conversation history that both
 * responses answer; `chosen` / `rejected` are the messages rendered as the response (normally a single
 * assistant message; with an OpenAI-format prompt list, the whole lists as in the original, spec §3.2 item 2).
 */
export interface PreferenceExample {
  loc: RowLocation;
  prompt: ChatMessage[];
  chosen: ChatMessage[];
  rejected: ChatMessage[];
}

/** A validated SFT conversation (`messages` list). */
export interface SftExample {
  loc: RowLocation;
  messages: ChatMessage[];
}

/** The three strings the chat template produced (spec §3.2 item 4). */
export interface FormattedPair {
  prompt: string;
  chosen: string;
  rejected: string;
}

/**
 * One tokenized pair, as `tokenize_row` (spec §3.5) leaves it. Sequences include BOS/EOS; labels are
 * implied: the first `*PromptLen` ids are prompt (label -100), the rest are response (label = id).
 * Chosen and rejected carry their own prompt length because `build_tokenized_answer` may merge the last
 * prompt token into the response on one side only (spec §1.7 example 4).
 */
export interface TokenizedPair {
  chosenIds: Int32Array;
  chosenPromptLen: number;
  rejectedIds: Int32Array;
  rejectedPromptLen: number;
  /** Bit set of what truncation did, see TRUNC_* below (for statistics only). */
  truncation: number;
}

export const TRUNC_PROMPT = 1; // the prompt was cut to max_prompt_length (spec §3.5 item 8)
export const TRUNC_RESPONSE = 2; // both responses were cut to max_length - max_prompt_length (item 9)
export const TRUNC_COMPLETION = 4; // a response was cut to max_completion_length (item 10)

/** One tokenized SFT conversation: ids plus a 0/1 mask of the tokens the loss scores. */
export interface TokenizedSft {
  ids: Int32Array;
  /** 1 where the token belongs to an assistant turn (scored), 0 elsewhere. */
  scored: Uint8Array;
  truncated: boolean;
}

export type TruncationMode = 'keep_end' | 'keep_start';
export type TrainerKind = 'dpo' | 'simpo' | 'sft';

/** A row dropped under `skip_invalid_rows: true`, kept for the summary. */
export interface SkippedRow {
  loc: RowLocation;
  reason: string;
}
