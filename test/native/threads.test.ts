/**
 * Thread-pool configuration: POET_NUM_THREADS and POET_NATIVE_ISA are read when the addon loads, so they
 * are checked in a child process. Three threads on this 2-core machine also exercise uneven splits.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { skipReason } from './helpers.ts';

const probe = fileURLToPath(new URL('./_thread_probe.ts', import.meta.url));

function runProbe(env: Record<string, string>): { isa: string; threads: number; maxRel: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', probe], { env: { ...process.env, ...env }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe('native thread pool and ISA selection', { skip: skipReason }, () => {
  it('honours POET_NUM_THREADS (3 threads, uneven split) and stays exact', () => {
    const out = runProbe({ POET_NUM_THREADS: '3' });
    assert.equal(out.threads, 3);
    assert.ok(out.maxRel < 1e-4, `max relative difference ${out.maxRel}`);
  });

  it('POET_NATIVE_ISA=scalar selects the portable path; one thread works', () => {
    const out = runProbe({ POET_NUM_THREADS: '1', POET_NATIVE_ISA: 'scalar' });
    assert.equal(out.threads, 1);
    assert.equal(out.isa, 'scalar');
    assert.ok(out.maxRel < 1e-4, `max relative difference ${out.maxRel}`);
  });
});
