/** Per-op finite-difference gradient checks of every backward kernel of the js backend, in float64. */
import { describe, it } from 'node:test';
import { attentionBackward, attentionForward } from '../../src/backend/js/attention.ts';
import * as k from '../../src/backend/js/kernels.ts';
import { matmul } from '../../src/backend/js/matmul.ts';
import type { GluActivation } from '../../src/backend/types.ts';
import { f, gradcheck, randn, rng } from './_gradcheck.ts';

describe('finite-difference gradient checks (js backend, float64)', () => {
  for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]]) {
    it(`matmul transA=${transA} transB=${transB}, batched`, () => {
      const r = rng(1);
      const [m, n, kk, batch] = [3, 4, 5, 2];
      const inputs = { a: randn(batch * m * kk, r), b: randn(batch * kk * n, r) };
      const fwd = (x: typeof inputs): Float64Array => {
        const c = new Float64Array(batch * m * n);
        matmul({ a: f(x.a), b: f(x.b), c: f(c), m, n, k: kk, transA, transB, batch });
        return c;
      };
      // dA = dC·op(B)ᵀ, dB = op(A)ᵀ·dC, expressed with the same kernel (as the tape does for linear layers)
      const bwd = (x: typeof inputs, dC: Float64Array) => {
        const da = new Float64Array(x.a.length);
        const db = new Float64Array(x.b.length);
        for (let bi = 0; bi < batch; bi++) {
          const A = x.a.subarray(bi * m * kk, (bi + 1) * m * kk);
          const B = x.b.subarray(bi * kk * n, (bi + 1) * kk * n);
          const G = dC.subarray(bi * m * n, (bi + 1) * m * n);
          const dA = da.subarray(bi * m * kk, (bi + 1) * m * kk);
          const dB = db.subarray(bi * kk * n, (bi + 1) * kk * n);
          if (!transA) matmul({ a: f(G), b: f(B), c: f(dA), m, n: kk, k: n, transB: !transB, accumulate: true });
          else matmul({ a: f(B), b: f(G), c: f(dA), m: kk, n: m, k: n, transA: transB, transB: true, accumulate: true });
          if (!transB) matmul({ a: f(A), b: f(G), c: f(dB), m: kk, n, k: m, transA: !transA, accumulate: true });
          else matmul({ a: f(G), b: f(A), c: f(dB), m: n, n: kk, k: m, transA: true, transB: transA, accumulate: true });
        }
        return { a: da, b: db };
      };
      gradcheck('matmul', inputs, fwd, bwd);
    });
  }

  for (const addOne of [false, true]) {
    it(`rmsnorm${addOne ? ' (Gemma 1+w)' : ''}`, () => {
      const r = rng(2);
      const [n, d] = [3, 6];
      const inputs = { x: randn(n * d, r), w: randn(d, r) };
      const fwd = (x: typeof inputs): Float64Array => {
        const out = new Float64Array(n * d);
        k.rmsnormForward({ out: f(out), rstd: f(new Float64Array(n)), x: f(x.x), w: f(x.w), n, d, eps: 1e-5, addOne });
        return out;
      };
      const bwd = (x: typeof inputs, dOut: Float64Array) => {
        const rstd = new Float64Array(n);
        k.rmsnormForward({ out: f(new Float64Array(n * d)), rstd: f(rstd), x: f(x.x), w: f(x.w), n, d, eps: 1e-5, addOne });
        const dx = new Float64Array(n * d);
        const dw = new Float64Array(d);
        k.rmsnormBackward({ dx: f(dx), dw: f(dw), dOut: f(dOut), x: f(x.x), w: f(x.w), rstd: f(rstd), n, d, addOne });
        return { x: dx, w: dw };
      };
      gradcheck('rmsnorm', inputs, fwd, bwd);
    });
  }

  it('rope (backward = inverse rotation)', () => {
    const r = rng(3);
    const [B, T, H, dh, P] = [2, 3, 2, 4, 8];
    const cos = new Float64Array(P * dh / 2);
    const sin = new Float64Array(P * dh / 2);
    for (let i = 0; i < cos.length; i++) {
      const a = r() * 3;
      cos[i] = Math.cos(a);
      sin[i] = Math.sin(a);
    }
    const positions = new Int32Array([0, 5, 2, 7, 1, 3]);
    const inputs = { x: randn(B * T * H * dh, r) };
    const fwd = (x: typeof inputs): Float64Array => {
      const y = Float64Array.from(x.x);
      k.ropeForward({ x: f(y), cos: f(cos), sin: f(sin), positions, b: B, t: T, h: H, dh });
      return y;
    };
    const bwd = (_x: typeof inputs, dOut: Float64Array) => {
      const g = Float64Array.from(dOut);
      k.ropeBackward({ x: f(g), cos: f(cos), sin: f(sin), positions, b: B, t: T, h: H, dh });
      return { x: g };
    };
    gradcheck('rope', inputs, fwd, bwd);
  });

  const attnCases = [
    { label: 'MHA, full causal', hq: 2, hkv: 2, tq: 5, tk: 5, window: 0, softcap: 0, firstKey: null },
    { label: 'GQA 4/2 + sliding window 2', hq: 4, hkv: 2, tq: 5, tk: 5, window: 2, softcap: 0, firstKey: null },
    { label: 'MQA + soft-capping', hq: 3, hkv: 1, tq: 4, tk: 4, window: 0, softcap: 1.5, firstKey: null },
    { label: 'query offset (tq < tk) + left padding + window + cap', hq: 2, hkv: 1, tq: 2, tk: 6, window: 4, softcap: 2, firstKey: new Int32Array([0, 2]) },
  ];
  for (const c of attnCases) {
    it(`attention: ${c.label}`, () => {
      const r = rng(4);
      const B = 2;
      const dh = 3;
      const tcap = c.tk + 1; // a KV buffer with spare capacity
      const inputs = {
        q: randn(B * c.tq * c.hq * dh, r),
        k: randn(B * tcap * c.hkv * dh, r, 1.5),
        v: randn(B * tcap * c.hkv * dh, r),
      };
      const common = (x: typeof inputs) => ({
        q: f(x.q), k: f(x.k), v: f(x.v), b: B, tq: c.tq, tk: c.tk, tcap, hq: c.hq, hkv: c.hkv, dh,
        scale: 0.7, window: c.window, softcap: c.softcap, firstKey: c.firstKey,
      });
      const fwd = (x: typeof inputs): Float64Array => {
        const out = new Float64Array(x.q.length);
        attentionForward({ ...common(x), out: f(out), lse: f(new Float64Array(B * c.hq * c.tq)) });
        return out;
      };
      const bwd = (x: typeof inputs, dOut: Float64Array) => {
        const out = new Float64Array(x.q.length);
        const lse = new Float64Array(B * c.hq * c.tq);
        attentionForward({ ...common(x), out: f(out), lse: f(lse) });
        const g = { q: new Float64Array(x.q.length), k: new Float64Array(x.k.length), v: new Float64Array(x.v.length) };
        attentionBackward({ ...common(x), out: f(out), lse: f(lse), dOut: f(dOut), dq: f(g.q), dk: f(g.k), dv: f(g.v) });
        return g;
      };
      gradcheck('attention', inputs, fwd, bwd);
    });
  }

  for (const act of ['silu', 'gelu_tanh'] as GluActivation[]) {
    it(`glu ${act}`, () => {
      const r = rng(5);
      const len = 12;
      const inputs = { gate: randn(len, r, 3), up: randn(len, r) };
      const fwd = (x: typeof inputs): Float64Array => {
        const out = new Float64Array(len);
        k.gluForward({ out: f(out), gate: f(x.gate), up: f(x.up), len, act });
        return out;
      };
      const bwd = (x: typeof inputs, dOut: Float64Array) => {
        const g = { gate: new Float64Array(len), up: new Float64Array(len) };
        k.gluBackward({ dGate: f(g.gate), dUp: f(g.up), dOut: f(dOut), gate: f(x.gate), up: f(x.up), len, act });
        return g;
      };
      gradcheck(`glu ${act}`, inputs, fwd, bwd);
    });
  }

  it('softcap', () => {
    const r = rng(6);
    const len = 10;
    const inputs = { x: randn(len, r, 5) };
    const fwd = (x: typeof inputs): Float64Array => {
      const out = new Float64Array(len);
      k.softcapForward({ out: f(out), x: f(x.x), len, cap: 2 });
      return out;
    };
    const bwd = (_x: typeof inputs, dOut: Float64Array) => {
      const y = fwd(_x);
      const dx = Float64Array.from(dOut); // in place, as the lm_head does
      k.softcapBackward({ dx: f(dx), dOut: f(dx), y: f(y), len, cap: 2 });
      return { x: dx };
    };
    gradcheck('softcap', inputs, fwd, bwd);
  });

  it('fused log-probs (with an ignored row)', () => {
    const r = rng(7);
    const [n, v] = [4, 7];
    const targets = new Int32Array([3, -100, 0, 6]);
    const inputs = { logits: randn(n * v, r, 3) };
    const fwd = (x: typeof inputs): Float64Array => {
      const logp = new Float64Array(n);
      k.logprobsForward({ logits: f(x.logits), targets, n, v, logp: f(logp), lse: f(new Float64Array(n)), logitSum: f(new Float64Array(n)) });
      return logp;
    };
    const bwd = (x: typeof inputs, dOut: Float64Array) => {
      const lse = new Float64Array(n);
      k.logprobsForward({ logits: f(x.logits), targets, n, v, logp: f(new Float64Array(n)), lse: f(lse), logitSum: f(new Float64Array(n)) });
      const d = new Float64Array(n * v);
      k.logprobsBackward({ dLogits: f(d), dLogp: f(dOut), logits: f(x.logits), lse: f(lse), targets, n, v });
      return { logits: d };
    };
    gradcheck('logprobs', inputs, fwd, bwd);
  });

  it('embedding (repeated ids scatter-add) and bias', () => {
    const r = rng(8);
    const [V, d] = [5, 3];
    const ids = new Int32Array([1, 4, 1, 0]);
    const inputs = { table: randn(V * d, r), bias: randn(d, r) };
    const fwd = (x: typeof inputs): Float64Array => {
      const out = new Float64Array(ids.length * d);
      k.embeddingForward({ out: f(out), table: f(x.table), ids, n: ids.length, d, scale: 1.5 });
      k.biasAdd({ x: f(out), bias: f(x.bias), n: ids.length, d });
      return out;
    };
    const bwd = (_x: typeof inputs, dOut: Float64Array) => {
      const g = { table: new Float64Array(V * d), bias: new Float64Array(d) };
      k.embeddingBackward({ dTable: f(g.table), dOut: f(dOut), ids, n: ids.length, d, scale: 1.5 });
      k.biasBackward({ dBias: f(g.bias), dOut: f(dOut), n: ids.length, d });
      return g;
    };
    gradcheck('embedding+bias', inputs, fwd, bwd);
  });
});
