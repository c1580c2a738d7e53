/**
 * Metric bookkeeping with the reference's semantics (poet-spec §2.3, §5):
 * - every micro-batch contributes its metrics (`rewards/chosen`, …) to a store; at each log the stored
 *   values are averaged (plain mean over micro-batches) and the store is cleared — as TRL/SimPO's
 *   `store_metrics` + `log()` do (`logging_steps × GAS` micro-batches for train, all eval batches for eval);
 * - `loss` is the mean of per-optimizer-step losses since the previous log (HF Trainer `tr_loss`);
 * - every log line goes to `metrics.jsonl` immediately (one JSON object per line) and to the in-memory
 *   `log_history` that ends up in trainer_state.json.
 */
import { appendFileSync } from 'node:fs';

export type LogEntry = Record<string, number>;

export class MetricStore {
  private sums = new Map<string, number>();
  private counts = new Map<string, number>();

  add(metrics: Record<string, number>): void {
    for (const [k, v] of Object.entries(metrics)) {
      this.sums.set(k, (this.sums.get(k) ?? 0) + v);
      this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
    }
  }

  /** Mean of each metric since the last drain; clears the store. */
  drain(prefix = ''): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, s] of this.sums) out[prefix + k] = s / this.counts.get(k)!;
    this.sums.clear();
    this.counts.clear();
    return out;
  }

  get size(): number {
    return this.sums.size;
  }

  toJSON(): { sums: [string, number][]; counts: [string, number][] } {
    return { sums: [...this.sums], counts: [...this.counts] };
  }

  static fromJSON(j: { sums: [string, number][]; counts: [string, number][] }): MetricStore {
    const m = new MetricStore();
    m.sums = new Map(j.sums);
    m.counts = new Map(j.counts);
    return m;
  }
}

export class MetricsLog {
  readonly history: LogEntry[];

  constructor(
    private readonly jsonlPath: string | null,
    history: LogEntry[] = [],
  ) {
    this.history = history;
  }

  write(entry: LogEntry): void {
    this.history.push(entry);
    if (this.jsonlPath) appendFileSync(this.jsonlPath, JSON.stringify(entry) + '\n');
  }
}
