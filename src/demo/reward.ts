/**
 * The demo task's programmatic reward (docs/demo.md §1): the fraction of the correct opening (answer + ".")
 * reproduced position by position at the start of the response. Only the opening counts: filler, length and
 * everything after the opening's last character are ignored, so length itself earns nothing.
 */
import { correctOpening, parsePrompt } from './task.ts';

/** Reward in [0, 1] of `response` to `prompt` (a prompt of the task; anything else is a PoetError). */
export function reward(prompt: string, response: string): number {
  const { op, word } = parsePrompt(prompt);
  return openingScore(correctOpening(op, word), response);
}

/** Fraction of `target`'s characters matched at the same positions at the start of `response` (leading blanks dropped). */
export function openingScore(target: string, response: string): number {
  const r = response.trimStart();
  let hit = 0;
  for (let i = 0; i < target.length; i++) if (r[i] === target[i]) hit++;
  return hit / target.length;
}

/** Whether the response opens with the complete correct opening (reward 1). */
export function isCorrect(prompt: string, response: string): boolean {
  return reward(prompt, response) === 1;
}
