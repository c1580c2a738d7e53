/**
 * Buffer pool: hands out Float32Array views over reusable backing buffers so that a training step does not
 * allocate fresh memory per op per step. Sizes are rounded up to size classes (each power-of-two octave split
 * into 8 steps, min 256 floats), so activations of slightly different sequence lengths (POET cuts sequences to
 * different lengths every step) reuse the same backing buffers instead of growing the pool.
 *
 * When no free buffer of the exact class exists, a free buffer of a larger class (at most 2× the request's
 * class) is reused before anything new is allocated: a batch shorter than an earlier one (every POET-cut
 * batch, every batch after a long one) then runs entirely in buffers that are already mapped, instead of
 * paying for fresh memory (page faults, GC) in new size classes.
 *
 * acquire(n) returns a view of exactly n floats (contents undefined unless `zero`); release(view) returns
 * its backing buffer. Buffers never shrink; `stats()` reports how many exist, for no-growth tests.
 */
export interface PoolStats {
  /** Backing buffers ever allocated (free + in use). */
  buffers: number;
  /** Bytes of all backing buffers. */
  bytes: number;
  /** Views currently handed out. */
  inUse: number;
}

const MIN_CLASS = 256;

/** Size class of n floats: the smallest multiple of max(256, 2^(⌊log2 n⌋−3)) that is ≥ n (≤ 12.5% waste). */
export function sizeClass(n: number): number {
  if (n <= MIN_CLASS) return MIN_CLASS;
  const pow = 2 ** Math.floor(Math.log2(n));
  const step = Math.max(MIN_CLASS, pow / 8);
  return Math.ceil(n / step) * step;
}

export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  private readonly owner = new Map<Float32Array, Float32Array>();
  private count = 0;
  private totalBytes = 0;

  acquire(n: number, zero = false): Float32Array {
    if (n === 0) return new Float32Array(0);
    const cls = sizeClass(n);
    let base = this.free.get(cls)?.pop() ?? this.takeLarger(cls);
    if (!base) {
      base = new Float32Array(cls);
      this.count++;
      this.totalBytes += cls * 4;
    }
    const view = base.subarray(0, n);
    if (zero) view.fill(0);
    this.owner.set(view, base);
    return view;
  }

  release(view: Float32Array): void {
    if (view.length === 0) return;
    const base = this.owner.get(view);
    if (!base) throw new Error('BufferPool.release: buffer was not acquired from this pool (or released twice)');
    this.owner.delete(view);
    let list = this.free.get(base.length);
    if (!list) {
      list = [];
      this.free.set(base.length, list);
    }
    list.push(base);
  }

  /** The smallest free buffer of a class in (cls, 2·cls], if any. */
  private takeLarger(cls: number): Float32Array | undefined {
    let best = Infinity;
    for (const [c, list] of this.free) if (c > cls && c <= 2 * cls && c < best && list.length > 0) best = c;
    return best === Infinity ? undefined : this.free.get(best)!.pop();
  }

  stats(): PoolStats {
    return { buffers: this.count, bytes: this.totalBytes, inUse: this.owner.size };
  }

  /** Drop all free buffers (memory returns to the GC); buffers in use are unaffected. */
  trim(): void {
    for (const list of this.free.values()) {
      for (const b of list) {
        this.count--;
        this.totalBytes -= b.length * 4;
      }
    }
    this.free.clear();
  }
}
