/**
 * Native GEMM against the js reference: all transpose cases, accumulate/overwrite, batched (dense and
 * strided), and sizes around the blocking parameters (MR=6, NR=16, KC=256, MC=144, NC=3072), on both the
 * AVX2 and the portable kernel path.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MatmulArgs } from '../../src/backend/types.ts';
import { assertClose, isaPaths, js, native, randF32, rng, skipReason, withIsa } from './helpers.ts';

// [m, n, k]: ones, primes, exact tiles, one past a tile, K past one KC block, M past MC, N past NC.
const SIZES: [number, number, number][] = [
  [1, 1, 1], [1, 17, 3], [5, 1, 7], [6, 16, 8], [7, 17, 13], [13, 31, 257], [145, 33, 29], [3, 3100, 5], [64, 48, 520],
];

function runBoth(args: Omit<MatmulArgs, 'c'> & { cLen: number }, init: Float32Array | null): [Float32Array, Float32Array] {
  const cn = init ? init.slice() : new Float32Array(args.cLen).fill(NaN); // overwrite must not read C
  const cj = init ? init.slice() : new Float32Array(args.cLen);
  native!.matmul({ ...args, c: cn });
  js.matmul({ ...args, c: cj });
  return [cn, cj];
}

describe('native matmul', { skip: skipReason }, () => {
  for (const isa of isaPaths) {
    it(`matches js for every transpose case and awkward sizes (${isa})`, () => {
      withIsa(isa, () => {
        const r = rng(1);
        for (const [m, n, k] of SIZES) {
          for (const transA of [false, true]) {
            for (const transB of [false, true]) {
              for (const accumulate of [false, true]) {
                const a = randF32(r, m * k);
                const b = randF32(r, k * n);
                const init = accumulate ? randF32(r, m * n) : null;
                const [cn, cj] = runBoth({ a, b, m, n, k, transA, transB, accumulate, cLen: m * n }, init);
                assertClose(cn, cj, `matmul ${m}x${n}x${k} tA=${transA} tB=${transB} acc=${accumulate} ${isa}`);
              }
            }
          }
        }
      });
    });
  }

  it('is parallel-safe on larger products (shared packed B, dynamic tiles, ragged edges)', () => {
    const r = rng(2);
    // The last shape packs more than the 8M-float shared B block, so B is split into two column blocks.
    for (const [m, n, k, transA] of [[301, 263, 300, false], [2, 700, 900, true], [40, 13, 3000, false], [2, 2100, 4097, false]] as const) {
      const a = randF32(r, m * k);
      const b = randF32(r, n * k);
      const [cn, cj] = runBoth({ a, b, m, n, k, transA, transB: true, accumulate: m === 40, cLen: m * n }, m === 40 ? randF32(r, m * n) : null);
      assertClose(cn, cj, `matmul ${m}x${n}x${k}`);
    }
  });

  it('handles batched products, dense and with custom strides', () => {
    const r = rng(3);
    for (const batch of [2, 3, 8]) {
      const [m, n, k] = [9, 20, 11];
      const a = randF32(r, batch * m * k);
      const b = randF32(r, batch * k * n);
      const [cn, cj] = runBoth({ a, b, m, n, k, batch, transA: true, cLen: batch * m * n }, null);
      assertClose(cn, cj, `batched dense batch=${batch}`);
    }
    // Strided: B shared by every batch item (strideB 0), C with a gap between matrices.
    const [m, n, k, batch] = [4, 5, 6, 3];
    const a = randF32(r, batch * m * k);
    const b = randF32(r, k * n);
    const init = randF32(r, batch * (m * n + 7));
    const [cn, cj] = runBoth({ a, b, m, n, k, batch, strideA: m * k, strideB: 0, strideC: m * n + 7, accumulate: true, cLen: 0 }, init);
    assertClose(cn, cj, 'batched strided');
    // The gaps between the C matrices are left untouched.
    for (let bi = 0; bi < batch; bi++) for (let g = 0; g < 7; g++) assert.equal(cn[bi * (m * n + 7) + m * n + g], init[bi * (m * n + 7) + m * n + g]);
  });

  it('k = 0 gives zeros (overwrite) or leaves C unchanged (accumulate)', () => {
    const c = new Float32Array(6).fill(NaN);
    native!.matmul({ a: new Float32Array(0), b: new Float32Array(0), c, m: 2, n: 3, k: 0 });
    assert.deepEqual([...c], [0, 0, 0, 0, 0, 0]);
    const c2 = new Float32Array([1, 2, 3, 4, 5, 6]);
    native!.matmul({ a: new Float32Array(0), b: new Float32Array(0), c: c2, m: 2, n: 3, k: 0, accumulate: true });
    assert.deepEqual([...c2], [1, 2, 3, 4, 5, 6]);
  });

  it('works on subarray views (offset into a larger buffer)', () => {
    const r = rng(4);
    const big = randF32(r, 1000);
    const a = big.subarray(13, 13 + 6 * 7);
    const b = big.subarray(101, 101 + 7 * 5);
    const cbig = new Float32Array(100);
    const c = cbig.subarray(50, 80);
    native!.matmul({ a, b, c, m: 6, n: 5, k: 7 });
    const cj = new Float32Array(30);
    js.matmul({ a, b, c: cj, m: 6, n: 5, k: 7 });
    assertClose(c, cj, 'views');
    assert.equal(cbig[49], 0);
    assert.equal(cbig[80], 0);
  });

  it('rejects a too-short buffer with a message naming it', () => {
    assert.throws(
      () => native!.matmul({ a: new Float32Array(5), b: new Float32Array(6), c: new Float32Array(4), m: 2, n: 2, k: 3 }),
      /native matmul: a has 5 elements, needs at least 6/,
    );
    assert.throws(
      () => native!.matmul({ a: new Float64Array(6) as unknown as Float32Array, b: new Float32Array(6), c: new Float32Array(4), m: 2, n: 2, k: 3 }),
      /a must be a Float32Array/,
    );
  });
});
