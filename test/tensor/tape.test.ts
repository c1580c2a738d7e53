/** Buffer pool and tape mechanics. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getJsBackend } from '../../src/backend/index.ts';
import * as ops from '../../src/tensor/ops.ts';
import { BufferPool, sizeClass } from '../../src/tensor/pool.ts';
import { Tape } from '../../src/tensor/tape.ts';
import { Parameter } from '../../src/tensor/tensor.ts';

describe('buffer pool', () => {
  it('size classes: ≥ n, at most 12.5% (or 256 floats) larger, shared by nearby sizes', () => {
    for (const n of [1, 255, 256, 257, 1000, 4097, 100_000, 1_234_567]) {
      const c = sizeClass(n);
      assert.ok(c >= n && c <= Math.max(256, n * 1.125 + 256), `class ${c} for ${n}`);
    }
    assert.equal(sizeClass(4000), sizeClass(4090));
  });

  it('reuses released buffers and rejects double release', () => {
    const pool = new BufferPool();
    const a = pool.acquire(1000);
    pool.release(a);
    const b = pool.acquire(990, true);
    assert.equal(b.buffer, a.buffer, 'same backing buffer');
    assert.ok(b.every((x) => x === 0));
    assert.deepEqual(pool.stats(), { buffers: 1, bytes: sizeClass(1000) * 4, inUse: 1 });
    pool.release(b);
    assert.throws(() => pool.release(b), /released twice/);
  });
});

describe('tape', () => {
  it('linear backward accumulates into parameter grads across two passes; frozen params are skipped', () => {
    const be = getJsBackend();
    const w = new Parameter('w', [2, 3], Float32Array.from([1, 2, 3, 4, 5, 6]));
    const bias = new Parameter('b', [2], Float32Array.from([0.5, -0.5]));
    bias.requiresGrad = false;
    for (let pass = 1; pass <= 2; pass++) {
      const tape = new Tape(be, { recording: true });
      const x = tape.tensor([1, 3]);
      x.data.set([1, 0, -1]);
      const y = ops.linear(tape, 'lin', x, w, bias);
      assert.deepEqual([...y.data], [1 - 3 + 0.5, 4 - 6 - 0.5]);
      tape.grad(y)!.set([1, 10]);
      tape.backward();
      // dW = dyᵀ·x accumulated pass times; dx = dy·W
      assert.deepEqual([...w.grad!], [1, 0, -1, 10, 0, -10].map((v) => v * pass));
      assert.deepEqual([...x.grad!], [41, 52, 63]);
      tape.release();
      assert.equal(tape.pool.stats().inUse, 0);
    }
    assert.equal(bias.grad, null);
  });

  it('scoped() frees a block\'s temporaries in inference mode but keeps its result', () => {
    const tape = new Tape(getJsBackend(), { recording: false });
    const keep = tape.scoped(() => {
      tape.tensor([100]);
      tape.tensor([200]);
      return tape.tensor([300]);
    });
    assert.equal(tape.pool.stats().inUse, 1);
    assert.equal(keep.size, 300);
    tape.release();
    assert.equal(tape.pool.stats().inUse, 0);
  });
});
