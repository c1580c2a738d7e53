/**
 * Seeded permutation used by the dataset mixer (the original calls `Dataset.shuffle(seed=42)`, spec §3.1).
 *
 * Algorithm: Fisher–Yates from the last index down, j drawn uniformly from [0, i] by rejection
 * sampling on 32-bit outputs of poet's Rng (splitmix32 → xoshiro128**, src/util/rng.ts, seeded with `seed`).
 * HF datasets draws its permutation from numpy's PCG64 generator (`np.random.default_rng(seed)`);
 * this is NOT that stream, so the order of rows differs from the original's (the set of rows and every
 * per-row result are identical). Within poet the same seed always gives the same order.
 */
import { Rng } from '../util/rng.ts';

/** A permutation of 0..n-1 determined by `seed`. */
export function seededPermutation(n: number, seed: number): Uint32Array {
  const rng = new Rng(seed);
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.boundedInt(i);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/** `items` reordered by `seededPermutation(items.length, seed)`. */
export function seededShuffle<T>(items: T[], seed: number): T[] {
  const p = seededPermutation(items.length, seed);
  return Array.from(p, (i) => items[i]!);
}
