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

describe('native thread pool under stress', { skip: skipReason }, () => {
  it('thousands of back-to-back parallel kernels give exact results', async () => {
    const { native } = await import('./helpers.ts');
    const len = 70001; // above the parallel threshold: every call wakes the pool
    const a = new Float32Array(len).map((_, i) => i % 97);
    const b = new Float32Array(len).map((_, i) => (i % 13) - 6);
    const out = new Float32Array(len);
    for (let rep = 0; rep < 2000; rep++) {
      native!.add({ out, a, b, len });
      if (rep % 250 === 0 || rep === 1999) {
        for (let i = 0; i < len; i += 997) assert.equal(out[i], (i % 97) + (i % 13) - 6);
        assert.equal(out[len - 1], ((len - 1) % 97) + ((len - 1) % 13) - 6);
      }
      out.fill(0);
    }
  });

  it('kernels called from several worker_threads at once stay correct', async () => {
    const { Worker } = await import('node:worker_threads');
    // A TypeScript worker needs tsx registered inside the worker thread first.
    const tsxApi = import.meta.resolve('tsx/esm/api');
    const body = new URL('./_concurrent_worker.ts', import.meta.url).href;
    const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(body)}); })`;
    const runs = await Promise.all([1, 2, 3].map((seed) => new Promise<number>((resolve, reject) => {
      const w = new Worker(boot, { eval: true, workerData: { seed } });
      w.once('message', resolve);
      w.once('error', reject);
    })));
    for (const maxRel of runs) assert.ok(maxRel < 1e-4, `max relative difference ${maxRel}`);
  });
});
