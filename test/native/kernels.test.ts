/**
 * Native row-wise / elementwise / optimizer kernels against the js reference on random inputs, with
 * lengths chosen to hit the vector tails (1, 7, odd) and the multi-threaded split (> 64K elements),
 * on both the AVX2 and the portable kernel path.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GluActivation } from '../../src/backend/types.ts';
import { assertClose, copy, isaPaths, js, native, randF32, randInt, rng, skipReason, withIsa } from './helpers.ts';

const LENS = [1, 7, 1003, 70001];
const ROWS: [number, number][] = [[1, 1], [3, 7], [17, 64], [300, 256], [5, 2053]];

describe('native kernels', { skip: skipReason }, () => {
  const nb = native!;
  for (const isa of isaPaths) {
    describe(`${isa} path`, () => {
      const run = (fn: () => void) => () => withIsa(isa, fn);

      it('assertClose itself rejects a wrong result', () => {
        assert.throws(() => assertClose(new Float32Array([1, 2.001]), new Float32Array([1, 2]), 'probe'), /1\/2 elements differ/);
      });

      it('biasAdd and biasBackward', run(() => {
        const r = rng(10);
        for (const [n, d] of ROWS) {
          const x = randF32(r, n * d);
          const bias = randF32(r, d);
          const xn = copy(x);
          const xj = copy(x);
          nb.biasAdd({ x: xn, bias, n, d });
          js.biasAdd({ x: xj, bias, n, d });
          assertClose(xn, xj, `biasAdd ${n}x${d}`);
          const dOut = randF32(r, n * d);
          const db = randF32(r, d);
          const dbn = copy(db);
          const dbj = copy(db);
          nb.biasBackward({ dBias: dbn, dOut, n, d });
          js.biasBackward({ dBias: dbj, dOut, n, d });
          assertClose(dbn, dbj, `biasBackward ${n}x${d}`);
        }
      }));

      it('embedding forward and backward (repeated ids add up)', run(() => {
        const r = rng(11);
        for (const [n, d] of ROWS) {
          const vocab = 11;
          const table = randF32(r, vocab * d);
          const ids = randInt(r, n, 0, vocab);
          const scale = n % 2 ? 1 : 16;
          const on = new Float32Array(n * d);
          const oj = new Float32Array(n * d);
          nb.embeddingForward({ out: on, table, ids, n, d, scale });
          js.embeddingForward({ out: oj, table, ids, n, d, scale });
          assertClose(on, oj, `embeddingForward ${n}x${d}`);
          const dOut = randF32(r, n * d);
          const dt = randF32(r, vocab * d);
          const dtn = copy(dt);
          const dtj = copy(dt);
          nb.embeddingBackward({ dTable: dtn, dOut, ids, n, d, scale });
          js.embeddingBackward({ dTable: dtj, dOut, ids, n, d, scale });
          assertClose(dtn, dtj, `embeddingBackward ${n}x${d}`);
        }
        assert.throws(
          () => nb.embeddingForward({ out: new Float32Array(4), table: new Float32Array(8), ids: new Int32Array([0, 4]), n: 2, d: 2, scale: 1 }),
          /ids\[1\] = 4 is outside \[0, 4\)/,
        );
      }));

      it('rmsnorm forward and backward, with and without the Gemma +1', run(() => {
        const r = rng(12);
        for (const [n, d] of ROWS) {
          for (const addOne of [false, true]) {
            const x = randF32(r, n * d, -3, 3);
            const w = randF32(r, d, 0.5, 1.5);
            const on = new Float32Array(n * d);
            const oj = new Float32Array(n * d);
            const rn = new Float32Array(n);
            const rj = new Float32Array(n);
            nb.rmsnormForward({ out: on, rstd: rn, x, w, n, d, eps: 1e-6, addOne });
            js.rmsnormForward({ out: oj, rstd: rj, x, w, n, d, eps: 1e-6, addOne });
            assertClose(on, oj, `rmsnormForward ${n}x${d} addOne=${addOne}`);
            assertClose(rn, rj, `rmsnorm rstd ${n}x${d}`);
            const dOut = randF32(r, n * d);
            const dx0 = randF32(r, n * d);
            const dw0 = randF32(r, d);
            const [dxn, dxj, dwn, dwj] = [copy(dx0), copy(dx0), copy(dw0), copy(dw0)];
            nb.rmsnormBackward({ dx: dxn, dw: dwn, dOut, x, w, rstd: rj, n, d, addOne });
            js.rmsnormBackward({ dx: dxj, dw: dwj, dOut, x, w, rstd: rj, n, d, addOne });
            assertClose(dxn, dxj, `rmsnormBackward dx ${n}x${d}`);
            assertClose(dwn, dwj, `rmsnormBackward dw ${n}x${d}`);
          }
        }
      }));

      it('rope forward and its inverse', run(() => {
        const r = rng(13);
        for (const [b, t, h, dh] of [[1, 1, 1, 2], [2, 5, 3, 8], [2, 33, 4, 64]]) {
          const P = 50;
          const cos = randF32(r, P * (dh / 2));
          const sin = randF32(r, P * (dh / 2));
          const positions = randInt(r, b * t, 0, P);
          const x = randF32(r, b * t * h * dh);
          const xn = copy(x);
          const xj = copy(x);
          nb.ropeForward({ x: xn, cos, sin, positions, b, t, h, dh });
          js.ropeForward({ x: xj, cos, sin, positions, b, t, h, dh });
          assertClose(xn, xj, `ropeForward ${b},${t},${h},${dh}`);
          nb.ropeBackward({ x: xn, cos, sin, positions, b, t, h, dh });
          js.ropeBackward({ x: xj, cos, sin, positions, b, t, h, dh });
          assertClose(xn, xj, `ropeBackward ${b},${t},${h},${dh}`);
        }
        assert.throws(
          () => nb.ropeForward({ x: new Float32Array(4), cos: new Float32Array(2), sin: new Float32Array(2), positions: new Int32Array([2]), b: 1, t: 1, h: 1, dh: 4 }),
          /positions\[0\] = 2 is outside the rope table \[0, 1\)/,
        );
      }));

      for (const act of ['silu', 'gelu_tanh'] as GluActivation[]) {
        it(`glu forward and backward (${act})`, run(() => {
          const r = rng(14);
          for (const len of LENS) {
            const gate = randF32(r, len, -8, 8);
            const up = randF32(r, len);
            const on = new Float32Array(len);
            const oj = new Float32Array(len);
            nb.gluForward({ out: on, gate, up, len, act });
            js.gluForward({ out: oj, gate, up, len, act });
            assertClose(on, oj, `gluForward ${act} len=${len}`);
            const dOut = randF32(r, len);
            const g0 = randF32(r, len);
            const u0 = randF32(r, len);
            const [dgn, dgj, dun, duj] = [copy(g0), copy(g0), copy(u0), copy(u0)];
            nb.gluBackward({ dGate: dgn, dUp: dun, dOut, gate, up, len, act });
            js.gluBackward({ dGate: dgj, dUp: duj, dOut, gate, up, len, act });
            assertClose(dgn, dgj, `gluBackward dGate ${act} len=${len}`);
            assertClose(dun, duj, `gluBackward dUp ${act} len=${len}`);
          }
        }));
      }

      it('add, scale, axpy (including out aliasing an input)', run(() => {
        const r = rng(15);
        for (const len of LENS) {
          const a = randF32(r, len);
          const b = randF32(r, len);
          const on = new Float32Array(len);
          const oj = new Float32Array(len);
          nb.add({ out: on, a, b, len });
          js.add({ out: oj, a, b, len });
          assertClose(on, oj, `add ${len}`);
          const alias = copy(a);
          nb.add({ out: alias, a: alias, b, len });
          assertClose(alias, oj, `add in place ${len}`);
          nb.scale({ out: on, x: a, s: -0.37, len });
          js.scale({ out: oj, x: a, s: -0.37, len });
          assertClose(on, oj, `scale ${len}`);
          const yn = copy(b);
          const yj = copy(b);
          nb.axpy({ y: yn, x: a, alpha: 2.5, len });
          js.axpy({ y: yj, x: a, alpha: 2.5, len });
          assertClose(yn, yj, `axpy ${len}`);
        }
      }));

      it('softcap forward and backward (in place allowed)', run(() => {
        const r = rng(16);
        for (const len of LENS) {
          const x = randF32(r, len, -100, 100);
          const on = new Float32Array(len);
          const oj = new Float32Array(len);
          nb.softcapForward({ out: on, x, len, cap: 30 });
          js.softcapForward({ out: oj, x, len, cap: 30 });
          assertClose(on, oj, `softcapForward ${len}`);
          const dOut = randF32(r, len);
          const dn = copy(dOut);
          const dj = new Float32Array(len);
          nb.softcapBackward({ dx: dn, dOut: dn, y: oj, len, cap: 30 });
          js.softcapBackward({ dx: dj, dOut, y: oj, len, cap: 30 });
          assertClose(dn, dj, `softcapBackward ${len}`);
        }
      }));

      it('fused log-probs forward and backward, with ignored (-100) targets', run(() => {
        const r = rng(17);
        for (const [n, v] of [[1, 1], [3, 13], [40, 2051], [70, 1024]]) {
          const logits = randF32(r, n * v, -20, 20);
          const targets = randInt(r, n, 0, v);
          for (let i = 0; i < n; i += 3) targets[i] = -100;
          const outs = () => ({ logp: new Float32Array(n), lse: new Float32Array(n), logitSum: new Float32Array(n) });
          const on = outs();
          const oj = outs();
          nb.logprobsForward({ logits, targets, n, v, ...on });
          js.logprobsForward({ logits, targets, n, v, ...oj });
          assertClose(on.logp, oj.logp, `logp ${n}x${v}`);
          assertClose(on.lse, oj.lse, `lse ${n}x${v}`);
          assertClose(on.logitSum, oj.logitSum, `logitSum ${n}x${v}`);
          const dLogp = randF32(r, n);
          const dn = new Float32Array(n * v).fill(NaN);
          const dj = new Float32Array(n * v);
          nb.logprobsBackward({ dLogits: dn, dLogp, logits, lse: oj.lse, targets, n, v });
          js.logprobsBackward({ dLogits: dj, dLogp, logits, lse: oj.lse, targets, n, v });
          assertClose(dn, dj, `dlogits ${n}x${v}`);
        }
        assert.throws(
          () => nb.logprobsForward({ logits: new Float32Array(4), targets: new Int32Array([1, 2]), n: 2, v: 2, logp: new Float32Array(2), lse: new Float32Array(2), logitSum: new Float32Array(2) }),
          /targets\[1\] = 2 is outside \[0, 2\) and is not -100/,
        );
      }));

      it('log-probs, SwiGLU and GeGLU stay exact at extreme values (exp underflow / overflow edges)', run(() => {
        // Rows mixing very negative, -87-ish (the vector exp's zero threshold) and large logits.
        const row = [-1e4, -200, -120, -90, -87.5, -86.9, -10, 0, 3, 60, 85, 88];
        const v = row.length;
        const logits = Float32Array.from([...row, ...row.map((x) => -x), ...row.map((x) => x / 100)]);
        const n = 3;
        const targets = Int32Array.from([7, 0, 11]);
        const on = { logp: new Float32Array(n), lse: new Float32Array(n), logitSum: new Float32Array(n) };
        const oj = { logp: new Float32Array(n), lse: new Float32Array(n), logitSum: new Float32Array(n) };
        nb.logprobsForward({ logits, targets, n, v, ...on });
        js.logprobsForward({ logits, targets, n, v, ...oj });
        assertClose(on.lse, oj.lse, 'extreme lse');
        assertClose(on.logp, oj.logp, 'extreme logp');
        const dLogp = Float32Array.from([1, -0.5, 2]);
        const dn = new Float32Array(n * v);
        const dj = new Float32Array(n * v);
        nb.logprobsBackward({ dLogits: dn, dLogp, logits, lse: oj.lse, targets, n, v });
        js.logprobsBackward({ dLogits: dj, dLogp, logits, lse: oj.lse, targets, n, v });
        assertClose(dn, dj, 'extreme dlogits', 1e-5);
        const gate = Float32Array.from([-1e4, -100, -88, -87.1, -86.9, -20, -1e-3, 0, 1e-3, 20, 87, 100, 1e4, -3, 3, 0.5]);
        const up = new Float32Array(gate.length).fill(1.5);
        for (const act of ['silu', 'gelu_tanh'] as GluActivation[]) {
          const gn = new Float32Array(gate.length);
          const gj = new Float32Array(gate.length);
          nb.gluForward({ out: gn, gate, up, len: gate.length, act });
          js.gluForward({ out: gj, gate, up, len: gate.length, act });
          assertClose(gn, gj, `extreme ${act}`, 1e-5);
          const [dgn, dgj, dun, duj] = [new Float32Array(gate.length), new Float32Array(gate.length), new Float32Array(gate.length), new Float32Array(gate.length)];
          nb.gluBackward({ dGate: dgn, dUp: dun, dOut: up, gate, up, len: gate.length, act });
          js.gluBackward({ dGate: dgj, dUp: duj, dOut: up, gate, up, len: gate.length, act });
          assertClose(dgn, dgj, `extreme ${act} dGate`, 1e-5);
          assertClose(dun, duj, `extreme ${act} dUp`, 1e-5);
        }
      }));

      it('adamw over several steps, with decay and gradient scaling', run(() => {
        const r = rng(18);
        for (const len of LENS) {
          const p0 = randF32(r, len);
          const [pn, pj] = [copy(p0), copy(p0)];
          const [mn, mj, vn, vj] = [new Float32Array(len), new Float32Array(len), new Float32Array(len), new Float32Array(len)];
          for (let step = 1; step <= 3; step++) {
            const grad = randF32(r, len);
            const h = { len, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step, gradScale: 0.5 };
            nb.adamw({ param: pn, grad, m: mn, v: vn, ...h });
            js.adamw({ param: pj, grad, m: mj, v: vj, ...h });
          }
          assertClose(pn, pj, `adamw param ${len}`);
          assertClose(mn, mj, `adamw m ${len}`);
          assertClose(vn, vj, `adamw v ${len}`);
        }
      }));

      it('zero-size calls are no-ops', run(() => {
        const e = new Float32Array(0);
        nb.matmul({ a: e, b: new Float32Array(15), c: e, m: 0, n: 5, k: 3 });
        nb.matmul({ a: e, b: e, c: e, m: 2, n: 2, k: 2, batch: 0 });
        nb.add({ out: e, a: e, b: e, len: 0 });
        nb.gluForward({ out: e, gate: e, up: e, len: 0, act: 'silu' });
        nb.rmsnormForward({ out: e, rstd: e, x: e, w: new Float32Array(4), n: 0, d: 4, eps: 1e-6, addOne: false });
        nb.logprobsForward({ logits: e, targets: new Int32Array(0), n: 0, v: 7, logp: e, lse: e, logitSum: e });
        nb.attentionForward({ q: e, k: e, v: e, out: e, lse: e, b: 0, tq: 4, tk: 4, hq: 2, hkv: 1, dh: 8, scale: 1, window: 0, softcap: 0 });
        assert.equal(nb.sumSquares({ x: e, len: 0 }), 0);
      }));

      it('sumSquares (double accumulation)', run(() => {
        const r = rng(19);
        for (const len of [...LENS, 300001]) {
          const x = randF32(r, len, -3, 3);
          const sn = nb.sumSquares({ x, len });
          const sj = js.sumSquares({ x, len });
          assert.ok(Math.abs(sn - sj) <= 1e-9 * sj, `sumSquares ${len}: ${sn} vs ${sj}`);
        }
        assert.equal(nb.sumSquares({ x: new Float32Array(0), len: 0 }), 0);
      }));
    });
  }
});
