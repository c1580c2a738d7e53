/**
 * Kernel semantics against small independent references written here (naive loops, dense masked softmax,
 * torch AdamW fixture), on every available backend.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { availableBackends } from '../models/_backends.ts';
import { assertClose } from '../models/_compare.ts';
import { readFixture } from '../models/_fixture.ts';
import { rng } from './_gradcheck.ts';

function rand32(n: number, r: () => number, scale = 1): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = r() * scale;
  return x;
}

/** Dense reference attention: materialise all scores, mask, softmax. */
function denseAttention(
  q: Float32Array, k: Float32Array, v: Float32Array,
  o: { b: number; tq: number; tk: number; tcap: number; hq: number; hkv: number; dh: number; scale: number; window: number; softcap: number; firstKey: Int32Array | null },
): Float64Array {
  const out = new Float64Array(o.b * o.tq * o.hq * o.dh);
  for (let b = 0; b < o.b; b++)
    for (let t = 0; t < o.tq; t++)
      for (let h = 0; h < o.hq; h++) {
        const i = o.tk - o.tq + t;
        const g = Math.floor((h * o.hkv) / o.hq);
        const s: number[] = [];
        for (let j = 0; j < o.tk; j++) {
          const visible = j <= i && (o.window === 0 || j > i - o.window) && (!o.firstKey || j >= o.firstKey[b]);
          if (!visible) { s.push(-Infinity); continue; }
          let dot = 0;
          for (let d = 0; d < o.dh; d++) dot += q[((b * o.tq + t) * o.hq + h) * o.dh + d] * k[((b * o.tcap + j) * o.hkv + g) * o.dh + d];
          let x = dot * o.scale;
          if (o.softcap > 0) x = o.softcap * Math.tanh(x / o.softcap);
          s.push(x);
        }
        const m = Math.max(...s);
        if (m === -Infinity) continue; // no visible key: output stays 0
        const e = s.map((x) => Math.exp(x - m));
        const z = e.reduce((a, c) => a + c, 0);
        for (let j = 0; j < o.tk; j++) {
          if (e[j] === 0) continue;
          for (let d = 0; d < o.dh; d++) out[((b * o.tq + t) * o.hq + h) * o.dh + d] += (e[j] / z) * v[((b * o.tcap + j) * o.hkv + g) * o.dh + d];
        }
      }
  return out;
}

for (const be of availableBackends()) {
  describe(`kernel semantics (${be.name} backend)`, () => {
    it('matmul: odd sizes, every transpose, accumulate, strided batches', () => {
      const r = rng(11);
      for (const [m, n, kk] of [[1, 1, 1], [7, 13, 5], [17, 3, 31], [33, 65, 9]]) {
        for (const transA of [false, true]) for (const transB of [false, true]) {
          const batch = 2;
          const sA = m * kk + 3; // non-dense strides: gaps between batch matrices
          const sB = kk * n + 1;
          const sC = m * n + 2;
          const a = rand32(batch * sA, r);
          const b = rand32(batch * sB, r);
          const c = rand32(batch * sC, r);
          const expected = Float64Array.from(c);
          for (let bi = 0; bi < batch; bi++)
            for (let i = 0; i < m; i++)
              for (let j = 0; j < n; j++) {
                let s = 0;
                for (let p = 0; p < kk; p++) {
                  const av = transA ? a[bi * sA + p * m + i] : a[bi * sA + i * kk + p];
                  const bv = transB ? b[bi * sB + j * kk + p] : b[bi * sB + p * n + j];
                  s += av * bv;
                }
                expected[bi * sC + i * n + j] += s;
              }
          be.matmul({ a, b, c, m, n, k: kk, transA, transB, accumulate: true, batch, strideA: sA, strideB: sB, strideC: sC });
          assertClose(`matmul ${m}x${n}x${kk} tA=${transA} tB=${transB}`, c, expected, 1e-5, 1e-2);
        }
      }
    });

    it('attention forward matches dense masked softmax (GQA, window, softcap, KV offset, left padding)', () => {
      const r = rng(12);
      const cases = [
        { b: 2, tq: 6, tk: 6, hq: 4, hkv: 2, dh: 8, window: 0, softcap: 0, firstKey: null },
        { b: 2, tq: 7, tk: 7, hq: 2, hkv: 1, dh: 5, window: 3, softcap: 0, firstKey: null },
        { b: 3, tq: 5, tk: 5, hq: 3, hkv: 3, dh: 4, window: 0, softcap: 1.2, firstKey: new Int32Array([0, 2, 4]) },
        { b: 2, tq: 1, tk: 9, hq: 4, hkv: 2, dh: 6, window: 4, softcap: 3, firstKey: new Int32Array([1, 0]) },
        { b: 1, tq: 3, tk: 8, hq: 2, hkv: 2, dh: 3, window: 0, softcap: 0, firstKey: new Int32Array([6]) }, // first query sees nothing
      ];
      for (const c of cases) {
        const tcap = c.tk + 2;
        const q = rand32(c.b * c.tq * c.hq * c.dh, r, 2);
        const k = rand32(c.b * tcap * c.hkv * c.dh, r, 2);
        const v = rand32(c.b * tcap * c.hkv * c.dh, r);
        const o = { ...c, tcap, scale: 1 / Math.sqrt(c.dh) };
        const out = new Float32Array(q.length).fill(NaN);
        const lse = new Float32Array(c.b * c.hq * c.tq);
        be.attentionForward({ ...o, q, k, v, out, lse });
        assertClose(`attention ${JSON.stringify({ ...c, firstKey: c.firstKey && [...c.firstKey] })}`, out, denseAttention(q, k, v, o), 1e-5, 1e-2);
      }
    });

    it('fused log-probs: values, ignored rows, logit sums; backward = dLogp·(onehot − softmax)', () => {
      const r = rng(13);
      const [n, v] = [5, 37];
      const logits = rand32(n * v, r, 4);
      const targets = new Int32Array([0, 36, -100, 5, 17]);
      const logp = new Float32Array(n);
      const lse = new Float32Array(n);
      const logitSum = new Float32Array(n);
      be.logprobsForward({ logits, targets, n, v, logp, lse, logitSum });
      const dLogp = new Float32Array([0.5, -1, 3, 2, 0]);
      const dLogits = new Float32Array(n * v).fill(NaN);
      be.logprobsBackward({ dLogits, dLogp, logits, lse, targets, n, v });
      for (let i = 0; i < n; i++) {
        const row = Array.from(logits.subarray(i * v, (i + 1) * v));
        const m = Math.max(...row);
        const l = m + Math.log(row.reduce((a, z) => a + Math.exp(z - m), 0));
        assert.ok(Math.abs(lse[i] - l) < 1e-5, `lse[${i}]`);
        assert.ok(Math.abs(logitSum[i] - row.reduce((a, z) => a + z, 0)) < 1e-4, `logitSum[${i}]`);
        const expect = targets[i] === -100 ? 0 : row[targets[i]] - l;
        assert.ok(Math.abs(logp[i] - expect) < 1e-5, `logp[${i}] ${logp[i]} vs ${expect}`);
        for (let j = 0; j < v; j++) {
          const g = targets[i] === -100 ? 0 : dLogp[i] * ((j === targets[i] ? 1 : 0) - Math.exp(row[j] - l));
          assert.ok(Math.abs(dLogits[i * v + j] - g) < 1e-5, `dLogits[${i},${j}] ${dLogits[i * v + j]} vs ${g}`);
        }
      }
    });

    it('AdamW matches torch.optim.AdamW over 4 steps (weight decay, bias correction, zero grads)', () => {
      const fx = readFixture(new URL('../fixtures/models/adamw.bin', import.meta.url).pathname);
      const meta = fx.meta as unknown as { lr: number; beta1: number; beta2: number; eps: number; weight_decay: number; steps: number };
      const param = fx.f32('param0');
      const grads = fx.f32('grads');
      const params = fx.f32('params');
      const n = param.length;
      const m = new Float32Array(n);
      const v = new Float32Array(n);
      for (let s = 0; s < meta.steps; s++) {
        // gradScale is checked by feeding 2·g with scale 0.5
        const g2 = grads.slice(s * n, (s + 1) * n).map((x) => 2 * x);
        be.adamw({ param, grad: g2, m, v, len: n, lr: meta.lr, beta1: meta.beta1, beta2: meta.beta2, eps: meta.eps, weightDecay: meta.weight_decay, step: s + 1, gradScale: 0.5 });
        assertClose(`adamw step ${s + 1}`, param, params.subarray(s * n, (s + 1) * n), 1e-5, 1e-3);
      }
    });

    it('sumSquares and elementwise kernels', () => {
      const x = new Float32Array([1, -2, 3.5]);
      assert.equal(be.sumSquares({ x, len: 3 }), 1 + 4 + 12.25);
      const out = new Float32Array(3);
      be.add({ out, a: x, b: x, len: 3 });
      assert.deepEqual([...out], [2, -4, 7]);
      be.scale({ out, x: out, s: 0.5, len: 3 });
      assert.deepEqual([...out], [1, -2, 3.5]);
      be.axpy({ y: out, x, alpha: -1, len: 3 });
      assert.deepEqual([...out], [0, 0, 0]);
    });
  });
}
