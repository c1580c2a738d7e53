/**
 * Learning-rate schedules with Hugging Face Trainer semantics (transformers 4.44, `get_scheduler`;
 * poet-spec §5). `t` = number of optimizer steps already taken, so the FIRST update uses lr(0), which
 * is 0 whenever there is warmup (spec §8 item 24).
 *
 *   warmup W = warmup_steps > 0 ? warmup_steps : ceil(warmup_ratio · T)       (TrainingArguments.get_warmup_steps)
 *   cosine:               t < W: t / max(1, W)
 *                         else  max(0, 0.5·(1 + cos(π · 2·0.5 · (t − W) / max(1, T − W))))
 *   linear:               t < W: t / max(1, W);  else max(0, (T − t) / max(1, T − W))
 *   constant:             1
 *   constant_with_warmup: t < W: t / max(1, W);  else 1
 * The returned value is the multiplier times the base learning rate.
 */
import { PoetError } from '../util/errors.ts';

export type SchedulerType = 'cosine' | 'linear' | 'constant' | 'constant_with_warmup';

export interface ScheduleOptions {
  type: SchedulerType;
  baseLr: number;
  totalSteps: number;
  warmupSteps?: number;
  warmupRatio?: number;
}

export function warmupStepsFor(totalSteps: number, warmupSteps = 0, warmupRatio = 0): number {
  return warmupSteps > 0 ? warmupSteps : Math.ceil(warmupRatio * totalSteps);
}

export function makeSchedule(opts: ScheduleOptions): (t: number) => number {
  const T = opts.totalSteps;
  const W = warmupStepsFor(T, opts.warmupSteps ?? 0, opts.warmupRatio ?? 0);
  const lr0 = opts.baseLr;
  const warm = (t: number) => t / Math.max(1, W);
  switch (opts.type) {
    case 'cosine':
      return (t) => {
        if (t < W) return lr0 * warm(t);
        const progress = (t - W) / Math.max(1, T - W);
        // num_cycles = 0.5 → cos(π · 2 · 0.5 · progress)
        return lr0 * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * 2 * 0.5 * progress)));
      };
    case 'linear':
      return (t) => (t < W ? lr0 * warm(t) : lr0 * Math.max(0, (T - t) / Math.max(1, T - W)));
    case 'constant':
      return () => lr0;
    case 'constant_with_warmup':
      return (t) => (t < W ? lr0 * warm(t) : lr0);
    default:
      throw new PoetError(`lr_scheduler_type: unsupported value "${String(opts.type)}" (expected cosine, linear, constant or constant_with_warmup)`);
  }
}
