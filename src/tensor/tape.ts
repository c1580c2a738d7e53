/**
 * The tape: records coarse ops during a forward pass and replays their backward closures in reverse.
 *
 * Memory plan: every activation buffer (outputs, saved statistics, activation gradients) comes from the
 * tape's BufferPool and goes back to it in `release()`. The same sequence of requests in the next step
 * therefore reuses the same backing buffers: a training step allocates nothing new after the first.
 * Parameters keep their own buffers and persistent `.grad` (accumulated, zeroed by the optimizer loop).
 *
 * Modes:
 *   recording = true  → ops push backward closures and keep everything they saved until release();
 *   recording = false → inference: nothing is recorded; `scoped()` frees a block's temporaries on exit.
 * Numerics check (POET_CHECK_NUMERICS=1, or `checkNumerics: true`): every op output and every gradient it
 * produces is scanned for NaN/Inf and a PoetError names the op.
 */
import type { Backend } from '../backend/types.ts';
import { PoetError } from '../util/errors.ts';
import { BufferPool } from './pool.ts';
import { numel, Parameter, Tensor } from './tensor.ts';

export interface TapeOptions {
  recording: boolean;
  pool?: BufferPool;
  checkNumerics?: boolean;
}

export function numericsCheckEnabled(): boolean {
  const v = process.env.POET_CHECK_NUMERICS;
  return v !== undefined && v !== '' && v !== '0' && v !== 'false';
}

export class Tape {
  readonly backend: Backend;
  readonly pool: BufferPool;
  readonly recording: boolean;
  readonly checkNumerics: boolean;
  private readonly records: Array<{ op: string; backward: () => void }> = [];
  /** Every pool buffer handed out through this tape (tensor data, saved buffers, activation grads). */
  private owned: Float32Array[] = [];
  private released = false;

  constructor(backend: Backend, opts: TapeOptions) {
    this.backend = backend;
    this.pool = opts.pool ?? new BufferPool();
    this.recording = opts.recording;
    this.checkNumerics = opts.checkNumerics ?? numericsCheckEnabled();
  }

  /** A pool buffer of n floats owned by this tape (freed on release). */
  buffer(n: number, zero = false): Float32Array {
    const b = this.pool.acquire(n, zero);
    this.owned.push(b);
    return b;
  }

  /** A new activation tensor owned by this tape. */
  tensor(shape: readonly number[], zero = false): Tensor {
    return new Tensor(shape, this.buffer(numel(shape), zero));
  }

  /**
   * The gradient buffer of t, created zeroed on first request. For a frozen parameter returns null:
   * callers skip that contribution.
   */
  grad(t: Tensor): Float32Array | null {
    if (t instanceof Parameter) return t.requiresGrad ? t.ensureGrad() : null;
    t.grad ??= this.buffer(t.size, true);
    return t.grad;
  }

  /** Record an op's backward closure (ignored when not recording). */
  record(op: string, backward: () => void): void {
    if (this.recording) this.records.push({ op, backward });
  }

  /** Run all recorded backward closures in reverse order (once). */
  backward(): void {
    if (this.released) throw new Error('Tape.backward: tape already released');
    for (let i = this.records.length - 1; i >= 0; i--) {
      const r = this.records[i];
      r.backward();
    }
    this.records.length = 0;
  }

  /** Scan a buffer for NaN/Inf when the numerics check is on. */
  check(op: string, what: string, buf: Float32Array | null): void {
    if (!this.checkNumerics || !buf) return;
    for (let i = 0; i < buf.length; i++) {
      if (!Number.isFinite(buf[i])) {
        throw new PoetError(`numerics check: op '${op}' produced ${buf[i]} in ${what} at flat index ${i} (POET_CHECK_NUMERICS is on)`);
      }
    }
  }

  /**
   * Run fn; in inference mode free every buffer it acquired except the returned tensor's data
   * (so a decoder layer's temporaries are recycled before the next layer). In recording mode a no-op wrapper.
   */
  scoped(fn: () => Tensor): Tensor {
    if (this.recording) return fn();
    const mark = this.owned.length;
    const out = fn();
    const keep: Float32Array[] = [];
    for (let i = mark; i < this.owned.length; i++) {
      const b = this.owned[i];
      if (b === out.data) keep.push(b);
      else this.pool.release(b);
    }
    this.owned.length = mark;
    this.owned.push(...keep);
    return out;
  }

  /**
   * Free one tensor's buffers early (inference: the previous layer's output once the next one exists).
   * Only for tensors this tape created; a no-op for anything else.
   */
  free(t: Tensor): void {
    for (const buf of [t.data, t.grad]) {
      if (!buf) continue;
      const i = this.owned.lastIndexOf(buf);
      if (i < 0) continue;
      this.owned.splice(i, 1);
      this.pool.release(buf);
    }
    t.grad = null;
  }

  /** Give every buffer back to the pool. Tensors created by this tape must not be used afterwards. */
  release(): void {
    if (this.released) return;
    for (const b of this.owned) this.pool.release(b);
    this.owned = [];
    this.records.length = 0;
    this.released = true;
  }

  get isReleased(): boolean {
    return this.released;
  }

  /** Number of recorded ops not yet run backward (for tests). */
  get recordedOps(): number {
    return this.records.length;
  }
}
