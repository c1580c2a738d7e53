/**
 * The demo's synthetic preference task (docs/demo.md §1): "upper" / "reverse" a 3-letter word. A response is an
 * opening (the answer and a full stop), which alone decides its quality, followed by 0–3 filler sentences that
 * carry none. Preferred responses tend to be longer (the length confound of real preference data, spec §7).
 *
 * Everything is drawn from one seeded stream, so a seed always gives the same files.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../util/rng.ts';
import { PoetError } from '../util/errors.ts';

export const OPS = ['upper', 'reverse'] as const;
export type Op = (typeof OPS)[number];

/** Phrasings per operation; `{w}` is the word. Each is ≤ 16 bytes with a 3-letter word. */
export const PROMPT_TEMPLATES: Readonly<Record<Op, readonly string[]>> = {
  upper: ['upper: {w}', 'Capitalize {w}', '{w} in capitals'],
  reverse: ['reverse: {w}', 'Reverse {w}', '{w} backwards'],
};

/** Filler phrases: no information about quality. Each ≤ 10 bytes so a response stays ≤ 40 bytes. */
export const FILLER_PHRASES: readonly string[] = ['Done.', 'Easy.', 'All set.', 'Got it.', 'Sure thing.', 'Any time.', 'Ok!', 'Nice one.'];

export const WORD_LENGTH = 3;
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** Fixed task semantics (docs/demo.md §1). Not budget knobs: changing them changes the experiment. */
export const TASK_SEMANTICS = {
  /** share of SFT demonstrations whose opening is correct */
  sftCorrectRate: 0.3,
  /** error types of a wrong opening and their weights */
  errorWeights: { copy: 0.7, other_op: 0.2, slip: 0.1 },
  /** filler sentences: SFT uniform in [0, 3]; chosen in [1, 3]; rejected in [0, 2] */
  sftFiller: [0, 3] as const,
  chosenFiller: [1, 3] as const,
  rejectedFiller: [0, 2] as const,
} as const;

export type ErrorKind = keyof typeof TASK_SEMANTICS.errorWeights;

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface TaskSizes {
  sftTrain: number;
  sftTest: number;
  prefTrain: number;
  prefTest: number;
  heldout: number;
}

export interface PreferenceRow {
  prompt: string;
  chosen: ChatMessage[];
  rejected: ChatMessage[];
}

export interface SftRow {
  messages: ChatMessage[];
}

export interface TaskData {
  sftTrain: SftRow[];
  sftTest: SftRow[];
  prefTrain: PreferenceRow[];
  prefTest: PreferenceRow[];
  /** held-out instructions, each word unused by every other row */
  heldout: string[];
}

/** The correct answer of an operation on a word. */
export function answer(op: Op, word: string): string {
  return op === 'upper' ? word.toUpperCase() : [...word].reverse().join('');
}

/** The correct opening of a response: the answer and a full stop. */
export function correctOpening(op: Op, word: string): string {
  return `${answer(op, word)}.`;
}

export function renderPrompt(op: Op, word: string, template: number): string {
  const t = PROMPT_TEMPLATES[op][template];
  if (t === undefined) throw new PoetError(`demo task: operation ${op} has no phrasing #${template}`);
  return t.replace('{w}', word);
}

const PARSERS: { op: Op; re: RegExp }[] = OPS.flatMap((op) =>
  PROMPT_TEMPLATES[op].map((t) => ({ op, re: new RegExp(`^${t.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace('{w}', '([a-z]+)')}$`) })),
);

/** Recover (operation, word) from a prompt of this task; PoetError for anything else. */
export function parsePrompt(prompt: string): { op: Op; word: string } {
  const p = prompt.trim();
  for (const { op, re } of PARSERS) {
    const m = re.exec(p);
    if (m) return { op, word: m[1]! };
  }
  throw new PoetError(
    `demo task: prompt ${JSON.stringify(prompt)} is not one of the task's phrasings ` +
      `(expected e.g. "upper: kqz" or "Reverse kqz"; see docs/demo.md §1)`,
  );
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)]!;
}

function uniformInt(rng: Rng, [lo, hi]: readonly [number, number]): number {
  return lo + rng.int(hi - lo + 1);
}

export function randomWord(rng: Rng): string {
  let w = '';
  for (let i = 0; i < WORD_LENGTH; i++) w += LETTERS[rng.int(LETTERS.length)];
  return w;
}

function drawError(rng: Rng): ErrorKind {
  const w = TASK_SEMANTICS.errorWeights;
  const u = rng.next();
  if (u < w.copy) return 'copy';
  if (u < w.copy + w.other_op) return 'other_op';
  return 'slip';
}

/**
 * A wrong opening of the given kind. `copy` and `other_op` can coincide with the right answer for special
 * words (a palindrome reversed, …); they are then replaced by a slip so that a wrong opening is always wrong.
 */
export function wrongOpening(rng: Rng, op: Op, word: string, kind: ErrorKind): string {
  const right = answer(op, word);
  let a: string;
  if (kind === 'copy') a = word;
  else if (kind === 'other_op') a = answer(op === 'upper' ? 'reverse' : 'upper', word);
  else a = '';
  if (a === '' || a === right) {
    // slip: one letter replaced by a different letter of the same case
    const i = rng.int(right.length);
    const upper = op === 'upper';
    const old = right[i]!.toLowerCase();
    let c = old;
    while (c === old) c = LETTERS[rng.int(LETTERS.length)]!;
    a = right.slice(0, i) + (upper ? c.toUpperCase() : c) + right.slice(i + 1);
  }
  return `${a}.`;
}

export function filler(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ` ${pick(rng, FILLER_PHRASES)}`;
  return s;
}

interface PromptDraw {
  op: Op;
  word: string;
  prompt: string;
}

function drawPrompt(rng: Rng, excluded: ReadonlySet<string>): PromptDraw {
  let word = randomWord(rng);
  while (excluded.has(word)) word = randomWord(rng);
  const op = pick(rng, OPS);
  const prompt = renderPrompt(op, word, rng.int(PROMPT_TEMPLATES[op].length));
  return { op, word, prompt };
}

function sftRow(rng: Rng, excluded: ReadonlySet<string>): SftRow {
  const { op, word, prompt } = drawPrompt(rng, excluded);
  const good = rng.next() < TASK_SEMANTICS.sftCorrectRate;
  const opening = good ? correctOpening(op, word) : wrongOpening(rng, op, word, drawError(rng));
  const response = opening + filler(rng, uniformInt(rng, TASK_SEMANTICS.sftFiller));
  return { messages: [{ role: 'user', content: prompt }, { role: 'assistant', content: response }] };
}

function preferenceRow(rng: Rng, excluded: ReadonlySet<string>): PreferenceRow {
  const { op, word, prompt } = drawPrompt(rng, excluded);
  const chosen = correctOpening(op, word) + filler(rng, uniformInt(rng, TASK_SEMANTICS.chosenFiller));
  const rejected = wrongOpening(rng, op, word, drawError(rng)) + filler(rng, uniformInt(rng, TASK_SEMANTICS.rejectedFiller));
  const user: ChatMessage = { role: 'user', content: prompt };
  return {
    prompt,
    chosen: [user, { role: 'assistant', content: chosen }],
    rejected: [user, { role: 'assistant', content: rejected }],
  };
}

/** Held-out instructions: distinct unused words, operations alternating, phrasings random. */
function heldoutPrompts(rng: Rng, n: number): { prompts: string[]; words: Set<string> } {
  const words = new Set<string>();
  const prompts: string[] = [];
  if (n > LETTERS.length ** WORD_LENGTH / 4) throw new PoetError(`demo task: ${n} held-out prompts is too many (at most ${LETTERS.length ** WORD_LENGTH / 4})`);
  while (prompts.length < n) {
    const word = randomWord(rng);
    if (words.has(word)) continue;
    words.add(word);
    const op = OPS[prompts.length % OPS.length]!;
    prompts.push(renderPrompt(op, word, rng.int(PROMPT_TEMPLATES[op].length)));
  }
  return { prompts, words };
}

/** Generate the whole task from a seed. Held-out words are drawn first and excluded from every other row. */
export function generateTask(sizes: TaskSizes, seed: number): TaskData {
  for (const [k, v] of Object.entries(sizes)) {
    if (!Number.isInteger(v) || v < 0) throw new PoetError(`demo task: size ${k} must be a non-negative integer, found ${v}`);
  }
  const rng = new Rng(seed);
  const { prompts: heldout, words } = heldoutPrompts(rng, sizes.heldout);
  const many = <T>(n: number, f: () => T): T[] => Array.from({ length: n }, f);
  return {
    heldout,
    sftTrain: many(sizes.sftTrain, () => sftRow(rng, words)),
    sftTest: many(sizes.sftTest, () => sftRow(rng, words)),
    prefTrain: many(sizes.prefTrain, () => preferenceRow(rng, words)),
    prefTest: many(sizes.prefTest, () => preferenceRow(rng, words)),
  };
}

export function lastAssistant(messages: ChatMessage[]): string {
  const m = messages[messages.length - 1];
  if (!m || m.role !== 'assistant') throw new PoetError('demo task: a conversation must end with an assistant message');
  return m.content;
}

export interface TaskStats {
  /** pairs whose chosen response has more bytes than the rejected */
  chosenLongerRate: number;
  /** pairs with equal byte length */
  equalLengthRate: number;
  meanChosenBytes: number;
  meanRejectedBytes: number;
  meanSftResponseBytes: number;
  sftCorrectRate: number;
  maxPromptBytes: number;
  maxResponseBytes: number;
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** Summary statistics written to task.json (and checked by the tests). */
export function taskStats(data: TaskData, isCorrect: (prompt: string, response: string) => boolean): TaskStats {
  const pairs = [...data.prefTrain, ...data.prefTest];
  const sft = [...data.sftTrain, ...data.sftTest];
  const cl = pairs.map((p) => bytes(lastAssistant(p.chosen)));
  const rl = pairs.map((p) => bytes(lastAssistant(p.rejected)));
  const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN);
  const sftResp = sft.map((r) => lastAssistant(r.messages));
  const prompts = [...pairs.map((p) => p.prompt), ...sft.map((r) => r.messages[0]!.content), ...data.heldout];
  return {
    chosenLongerRate: mean(cl.map((c, i) => (c > rl[i]! ? 1 : 0))),
    equalLengthRate: mean(cl.map((c, i) => (c === rl[i]! ? 1 : 0))),
    meanChosenBytes: mean(cl),
    meanRejectedBytes: mean(rl),
    meanSftResponseBytes: mean(sftResp.map(bytes)),
    sftCorrectRate: mean(sft.map((r) => (isCorrect(r.messages[0]!.content, lastAssistant(r.messages)) ? 1 : 0))),
    maxPromptBytes: Math.max(0, ...prompts.map(bytes)),
    maxResponseBytes: Math.max(0, ...[...cl, ...rl, ...sftResp.map(bytes)]),
  };
}

function writeJsonl(file: string, rows: unknown[]): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
  renameSync(tmp, file);
}

export interface TaskFiles {
  sftDir: string;
  prefsDir: string;
  heldoutFile: string;
  taskFile: string;
}

/** Paths of the task's files inside a folder (layout of docs/demo.md §1). */
export function taskFiles(dir: string): TaskFiles {
  return {
    sftDir: join(dir, 'sft'),
    prefsDir: join(dir, 'prefs'),
    heldoutFile: join(dir, 'heldout.jsonl'),
    taskFile: join(dir, 'task.json'),
  };
}

/**
 * Write the task as files poet's data pipeline reads: `sft/{train,test}.jsonl` (messages),
 * `prefs/{train_prefs,test_prefs}.jsonl` (UltraFeedback schema), `heldout.jsonl` ({instruction}) and task.json.
 */
export function writeTask(dir: string, data: TaskData, meta: Record<string, unknown>): TaskFiles {
  const f = taskFiles(dir);
  mkdirSync(f.sftDir, { recursive: true });
  mkdirSync(f.prefsDir, { recursive: true });
  writeJsonl(join(f.sftDir, 'train.jsonl'), data.sftTrain);
  writeJsonl(join(f.sftDir, 'test.jsonl'), data.sftTest);
  writeJsonl(join(f.prefsDir, 'train_prefs.jsonl'), data.prefTrain);
  writeJsonl(join(f.prefsDir, 'test_prefs.jsonl'), data.prefTest);
  writeJsonl(f.heldoutFile, data.heldout.map((instruction) => ({ instruction })));
  writeFileSync(f.taskFile, JSON.stringify({ semantics: TASK_SEMANTICS, ...meta }, null, 2) + '\n');
  return f;
}
