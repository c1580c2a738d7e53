/**
 * poet's pairwise judge prompt, in AlpacaEval's classifier form (a system and a user message; the two outputs
 * labelled "m" and "M"; a one-token answer), so the first token's log-probabilities give P(m) directly.
 * The wording is our own. Changing it changes every cache key (the key hashes the rendered messages), so a
 * judge run with an edited prompt never reuses old verdicts. Bump PROMPT_VERSION when editing.
 */
import type { JudgeItem } from './types.ts';

export const PROMPT_VERSION = 'poet-pairwise-v1';

export const JUDGE_SYSTEM =
  'You compare two answers written by AI assistants to the same user request and decide which one a careful, ' +
  'expert human reader would prefer. Judge helpfulness, correctness, depth and how well the answer follows the ' +
  'request. Do not reward length for its own sake, and ignore which answer comes first.';

export interface ChatMessage {
  role: 'system' | 'user';
  content: string;
}

/** Messages for one pair: output_1 is shown as "m", output_2 as "M". */
export function judgeMessages(item: JudgeItem): ChatMessage[] {
  const user = [
    'Here is the user request and two candidate answers, each given as a JSON string.',
    '',
    '## Request',
    JSON.stringify(item.instruction),
    '',
    '## Answer "m"',
    JSON.stringify(item.output_1),
    '',
    '## Answer "M"',
    JSON.stringify(item.output_2),
    '',
    '## Your verdict',
    'Which answer is better? Reply with exactly one character: m if answer "m" is better, M if answer "M" is ' +
      'better. Write nothing else.',
  ].join('\n');
  return [
    { role: 'system', content: JUDGE_SYSTEM },
    { role: 'user', content: user },
  ];
}
