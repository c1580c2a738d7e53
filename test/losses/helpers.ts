/** Shared helpers for the loss tests: fixture loading and float64 closeness checks. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('../fixtures/losses/', import.meta.url));

export function loadFixture<T>(name: string): { format_version: number; cases: T[] } {
  const data = JSON.parse(readFileSync(FIXTURES + name, 'utf8'));
  assert.equal(data.format_version, 1, `${name}: fixture format changed; re-run scripts/make_loss_fixtures.py`);
  return data;
}

/** |a − e| ≤ rel·max(|a|, |e|) + abs, element-wise; the message shows the first values. */
export function assertClose(
  actual: ArrayLike<number> | number,
  expected: ArrayLike<number> | number,
  what: string,
  rel = 1e-6,
  abs = 1e-12,
): void {
  const a = typeof actual === 'number' ? [actual] : Array.from(actual);
  const e = typeof expected === 'number' ? [expected] : Array.from(expected);
  assert.equal(a.length, e.length, `${what}: length ${a.length} vs expected ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    const tol = rel * Math.max(Math.abs(a[i]), Math.abs(e[i])) + abs;
    if (!(Math.abs(a[i] - e[i]) <= tol) && !(Number.isNaN(a[i]) && Number.isNaN(e[i]))) {
      assert.fail(`${what}[${i}]: got ${a[i]}, expected ${e[i]}\n  got      ${a.slice(0, 5).join(', ')}\n  expected ${e.slice(0, 5).join(', ')}`);
    }
  }
}
