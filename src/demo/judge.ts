/**
 * The demo's local rule-based judge: the AlpacaEval `PairwiseJudge` interface (src/eval/alpaca/types.ts)
 * answered by the task's programmatic reward instead of an LLM, so `runAlpacaEval` computes the win rate and
 * the length-controlled win rate offline exactly as it does with the API judge.
 *
 * Verdict (presentation order, AlpacaEval convention): 1 when output_1 has the higher reward, 2 when output_2
 * has, 1.5 (AlpacaEval's draw) when the rewards are equal. Length never enters.
 */
import type { JudgeItem, JudgeOptions, JudgeVerdict, PairwiseJudge } from '../eval/alpaca/types.ts';
import { reward as taskReward } from './reward.ts';

export type RewardFn = (prompt: string, response: string) => number;

export const RULE_JUDGE_NAME = 'poet_demo_rule_judge';

/** Preference in [1, 2] of two rewards (1 = the first is better, 1.5 = draw). */
export function preferenceFromRewards(r1: number, r2: number): number {
  if (r1 > r2) return 1;
  if (r2 > r1) return 2;
  return 1.5;
}

export class RuleJudge implements PairwiseJudge {
  readonly name: string;
  constructor(
    private readonly rewardFn: RewardFn = taskReward,
    name = RULE_JUDGE_NAME,
  ) {
    this.name = name;
  }

  async judge(items: JudgeItem[], opts?: JudgeOptions): Promise<(JudgeVerdict | undefined)[]> {
    return items.map((it, i) => {
      const r1 = this.rewardFn(it.instruction, it.output_1);
      const r2 = this.rewardFn(it.instruction, it.output_2);
      const v: JudgeVerdict = { preference: preferenceFromRewards(r1, r2), raw: { reward_1: r1, reward_2: r2 } };
      opts?.onVerdict?.(i, v);
      opts?.onItemDone?.(i, v);
      return v;
    });
  }
}
