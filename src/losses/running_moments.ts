/**
 * Running mean / variance of a stream of batches: TRL 0.9.6 `trl/trainer/utils.py RunningMoments`
 * (itself after MOSS-RLHF / stable-baselines3 `RunningMeanStd`, Chan et al.'s parallel update).
 * DPO `bco_pair` keeps one of these per trainer as its reward baseline δ.
 *
 * It is plain mutable state so that the trainer can save it in a checkpoint and restore it on resume
 * (`toJSON` / `RunningMoments.from`).
 */
export interface RunningMomentsState {
  mean: number;
  var: number;
  count: number;
}

export class RunningMoments implements RunningMomentsState {
  // TRL's initial state: mean 0, var 1, and a tiny count so the first update takes the batch
  // mean almost exactly (weight n / (1e-24 + n)).
  mean = 0;
  var = 1;
  count = 1e-24;

  static from(state: RunningMomentsState): RunningMoments {
    const r = new RunningMoments();
    r.mean = state.mean;
    r.var = state.var;
    r.count = state.count;
    return r;
  }

  /**
   * Folds one batch `xs` (n = xs.length values, population variance) into the running moments:
   *   δ = x̄ − mean, tot = count + n,
   *   mean ← mean + δ·n/tot,
   *   var  ← (var·count + δ²·count·n/tot + var_x·n) / tot,  count ← tot.
   * Computed in float64 (TRL rounds the batch mean and variance to float32 first).
   */
  update(xs: ArrayLike<number>): void {
    const n = xs.length;
    if (n === 0) throw new Error('RunningMoments.update: empty batch');
    let s = 0;
    for (let i = 0; i < n; i++) s += xs[i];
    const xMean = s / n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (xs[i] - xMean) ** 2;
    const xVar = ss / n;

    const delta = xMean - this.mean;
    const tot = this.count + n;
    const oldSum = this.var * this.count + (delta * delta * this.count * n) / tot;
    this.mean += (delta * n) / tot;
    this.var = (oldSum + xVar * n) / tot;
    this.count = tot;
  }

  /** Sample standard deviation as TRL reports it: sqrt(var · count / (count − 1)). */
  get std(): number {
    return Math.sqrt((this.var * this.count) / (this.count - 1));
  }

  toJSON(): RunningMomentsState {
    return { mean: this.mean, var: this.var, count: this.count };
  }
}
