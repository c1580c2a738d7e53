/**
 * Shared helpers for the native-backend tests: a seeded PRNG, buffer makers, a tolerance check that
 * prints the first mismatches, and the two backends under comparison. Not a test file itself.
 */
import assert from 'node:assert/strict';
import { createJsBackend } from '../../src/backend/js/index.ts';
import { addonLoadError, loadNativeBackend, nativeInfo, setNativeIsa, type NativeIsa } from '../../src/backend/native/index.ts';
import type { Backend } from '../../src/backend/types.ts';

export const native: Backend | null = loadNativeBackend();
export const js: Backend = createJsBackend();
/** Reason to skip every native test (null when the addon loaded). */
export const skipReason: string | false = native ? false : `native addon not built: ${addonLoadError() ?? 'unknown'}`;

/** The kernel paths to test on this CPU: always the portable one, plus AVX2 / AVX-512 where the CPU has them. */
const info = nativeInfo();
export const isaPaths: NativeIsa[] = [
  ...(info?.avx512Supported ? (['avx512'] as const) : []),
  ...(info?.avx2Supported ? (['avx2'] as const) : []),
  'scalar',
];

/** Runs `fn` with the addon switched to `isa`, restoring the default path afterwards. */
export function withIsa(isa: NativeIsa, fn: () => void): void {
  const before = nativeInfo()?.isa ?? 'scalar';
  setNativeIsa(isa);
  try {
    fn();
  } finally {
    setNativeIsa(before);
  }
}

/** mulberry32: small, fast, seeded; tests are reproducible. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform values in [lo, hi). */
export function randF32(r: () => number, n: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * r();
  return a;
}

export function randInt(r: () => number, n: number, lo: number, hi: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + Math.floor(r() * (hi - lo));
  return a;
}

/**
 * Asserts |actual − expected| ≤ rtol · (|expected| + rms(expected)) element-wise (fp32 tolerance relative
 * to the element and to the typical magnitude, so values that cancel to ~0 are not over-judged).
 * Infinities must match exactly. Prints the first mismatches.
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = 1e-4): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs ${expected.length}`);
  let ss = 0;
  let cnt = 0;
  for (let i = 0; i < expected.length; i++) {
    if (Number.isFinite(expected[i])) {
      ss += expected[i] * expected[i];
      cnt++;
    }
  }
  const rms = cnt ? Math.sqrt(ss / cnt) : 0;
  const bad: string[] = [];
  let nbad = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const ok = Number.isFinite(e) ? Math.abs(a - e) <= rtol * (Math.abs(e) + rms) + 1e-30 : a === e;
    if (!ok) {
      nbad++;
      if (bad.length < 5) bad.push(`[${i}] native ${a} vs js ${e}`);
    }
  }
  assert.ok(nbad === 0, `${what}: ${nbad}/${expected.length} elements differ (rms ${rms.toExponential(3)}): ${bad.join('; ')}`);
}

export function copy(a: Float32Array): Float32Array {
  return a.slice();
}
