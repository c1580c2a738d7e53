/**
 * Progress reporting for long work (training, tokenization, generation, judging).
 * On a TTY: a cli-progress bar with the caller's fields (loss, tokens/s, ETA …).
 * Otherwise (CI, logs, pipes): one plain line every `intervalMs` and a final line, so logs stay
 * readable and predictable (ecosystem.md §5: cli-progress prints nothing off a TTY by default).
 */
import cliProgress from 'cli-progress';

export interface ProgressOptions {
  label: string;
  total: number;
  /** Plain-line interval off a TTY (ms). */
  intervalMs?: number;
  stream?: NodeJS.WriteStream;
  /** Force plain lines even on a TTY (tests). */
  plain?: boolean;
  /** Unit shown in the rate, e.g. 'tok'. */
  unit?: string;
  /** Print nothing at all (callers that report progress their own way, e.g. the demo). */
  silent?: boolean;
}

export type ProgressFields = Record<string, string | number>;

export class Progress {
  private readonly bar: cliProgress.SingleBar | null;
  private readonly started = Date.now();
  private lastLine = 0;
  private value = 0;
  private fields: ProgressFields = {};
  private readonly stream: NodeJS.WriteStream;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    const tty = !opts.silent && !opts.plain && Boolean(this.stream.isTTY) && process.env.CI === undefined;
    if (tty) {
      this.bar = new cliProgress.SingleBar(
        {
          format: `${opts.label} [{bar}] {value}/{total} {fields} | eta {eta_formatted}`,
          stream: this.stream,
          hideCursor: true,
          etaBuffer: 20,
        },
        cliProgress.Presets.legacy,
      );
      this.bar.start(opts.total, 0, { fields: '' });
    } else {
      this.bar = null;
    }
  }

  update(value: number, fields: ProgressFields = {}): void {
    this.value = value;
    this.fields = { ...this.fields, ...fields };
    if (this.bar) {
      this.bar.update(value, { fields: formatFields(this.fields) });
      return;
    }
    const now = Date.now();
    if (!this.opts.silent && now - this.lastLine >= (this.opts.intervalMs ?? 10_000)) {
      this.lastLine = now;
      this.stream.write(this.line() + '\n');
    }
  }

  /** Estimated seconds left from the average rate so far. */
  etaSeconds(): number {
    const elapsed = (Date.now() - this.started) / 1000;
    if (this.value <= 0) return NaN;
    return (elapsed / this.value) * (this.opts.total - this.value);
  }

  stop(): void {
    if (this.bar) this.bar.stop();
    else if (!this.opts.silent) this.stream.write(this.line() + ' done\n');
  }

  private line(): string {
    const eta = this.etaSeconds();
    const f = formatFields(this.fields);
    return `${this.opts.label} ${this.value}/${this.opts.total}${f ? ' ' + f : ''}${Number.isFinite(eta) ? ` eta ${formatDuration(eta)}` : ''}`;
  }
}

function formatFields(fields: ProgressFields): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : v}`)
    .join(' ');
}

function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : v.toFixed(4);
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
}
