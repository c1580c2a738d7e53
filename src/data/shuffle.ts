/**
 * Seeded permutation used by the dataset mixer (the original calls `Dataset.shuffle(seed=42)`, spec §3.1).
 *
 * Algorithm: Fisher–Yates from the last index down, j drawn uniformly from [0, i] by rejection
 * sampling on 32-bit outputs of splitmix32 → xoshiro128** (seeded with `seed`).
 * HF datasets draws its permutation from numpy's PCG64 generator (`np.random.default_rng(seed)`);
 * this is NOT that stream, so the order of rows differs from the original's (the set of rows and every
 * per-row result are identical). Within poet the same seed always gives the same order.
 */

/** xoshiro128** seeded through splitmix32: small, fast, and good enough for shuffling. */
function makeRng(seed: number): () => number {
  const s = new Uint32Array(4);
  let x = seed >>> 0;
  for (let i = 0; i < 4; i++) {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    s[i] = (z ^ (z >>> 16)) >>> 0;
  }
  const rotl = (v: number, k: number) => ((v << k) | (v >>> (32 - k))) >>> 0;
  return () => {
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2] ^= s[0]!;
    s[3] ^= s[1]!;
    s[1] ^= s[2]!;
    s[0] ^= s[3]!;
    s[2] ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  };
}

/** Uniform integer in [0, max] by masked rejection (no modulo bias). */
function boundedInt(next: () => number, max: number): number {
  if (max === 0) return 0;
  let mask = max;
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  for (;;) {
    const v = (next() & mask) >>> 0;
    if (v <= max) return v;
  }
}

/** A permutation of 0..n-1 determined by `seed`. */
export function seededPermutation(n: number, seed: number): Uint32Array {
  const next = makeRng(seed);
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = boundedInt(next, i);
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
