/**
 * Task names accepted by `poet eval tasks`. `truthfulqa` expands to mc1 + mc2 (lm-eval's group also runs the
 * generative truthfulqa_gen, which poet does not implement); `mmlu` expands to one task per subject found in
 * the data, `mmlu_<subject>` selects one.
 */
import { PoetError } from '../../util/errors.ts';
import { arcChallenge } from './defs/arc.ts';
import { gsm8k } from './defs/gsm8k.ts';
import { hellaswag } from './defs/hellaswag.ts';
import { mmluSubjectTask } from './defs/mmlu.ts';
import { truthfulqaMc1, truthfulqaMc2 } from './defs/truthfulqa.ts';
import { winogrande } from './defs/winogrande.ts';
import type { TaskSpec } from './types.ts';

export const SIMPLE_TASKS: Record<string, TaskSpec> = {
  arc_challenge: arcChallenge,
  hellaswag,
  truthfulqa_mc1: truthfulqaMc1,
  truthfulqa_mc2: truthfulqaMc2,
  winogrande,
  gsm8k,
};

export const KNOWN_TASK_NAMES = [...Object.keys(SIMPLE_TASKS), 'truthfulqa', 'mmlu', 'mmlu_<subject>'];

export type TaskRequest = { kind: 'task'; spec: TaskSpec } | { kind: 'mmlu_group' } | { kind: 'mmlu_subject'; subject: string };

export function resolveTaskName(name: string): TaskRequest[] {
  if (name in SIMPLE_TASKS) return [{ kind: 'task', spec: SIMPLE_TASKS[name]! }];
  if (name === 'truthfulqa') return [{ kind: 'task', spec: truthfulqaMc1 }, { kind: 'task', spec: truthfulqaMc2 }];
  if (name === 'mmlu') return [{ kind: 'mmlu_group' }];
  if (name.startsWith('mmlu_') && name.length > 5) return [{ kind: 'mmlu_subject', subject: name.slice(5) }];
  throw new PoetError(`unknown task ${JSON.stringify(name)}; known tasks: ${KNOWN_TASK_NAMES.join(', ')}`);
}

export { mmluSubjectTask };
