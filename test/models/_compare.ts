/** Tolerance checks that print the first differing values on failure. */
import assert from 'node:assert/strict';

/**
 * Elementwise |a − b| ≤ rtol·(|b| + floor·max|b|): relative error, with a floor at a small fraction of the
 * tensor's scale so that entries near zero are judged against the tensor's magnitude.
 */
export function assertClose(
  what: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol = 1e-4,
  floor = 1e-2,
  mask?: (i: number) => boolean,
): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} != expected ${expected.length}`);
  let maxAbs = 0;
  for (let i = 0; i < expected.length; i++) if (!mask || mask(i)) maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
  const bad: string[] = [];
  let count = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    if (mask && !mask(i)) continue;
    const a = actual[i];
    const e = expected[i];
    const tol = rtol * (Math.abs(e) + floor * maxAbs);
    const err = Math.abs(a - e);
    if (!(err <= tol)) {
      count++;
      worst = Math.max(worst, err / (Math.abs(e) + floor * maxAbs || 1));
      if (bad.length < 5) bad.push(`[${i}] got ${a}, expected ${e} (|diff| ${err.toExponential(2)} > tol ${tol.toExponential(2)})`);
    }
  }
  if (count > 0) {
    assert.fail(`${what}: ${count}/${expected.length} values differ (worst rel ${worst.toExponential(2)}, rtol ${rtol}); first: ${bad.join('; ')}`);
  }
}
