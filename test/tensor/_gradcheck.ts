/**
 * Finite-difference gradient checks in float64 on the js kernels (they only index their arrays, so
 * Float64Array buffers can be passed through a cast). L = Σ out·R for a fixed random R; the analytic
 * gradient is the backward kernel fed dOut = R; the numeric one is a central difference per input entry.
 */
import assert from 'node:assert/strict';

export type F64Inputs = Record<string, Float64Array>;

/** Deterministic uniform(-1, 1) values (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

export function randn(n: number, r: () => number, scale = 1): Float64Array {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = r() * scale;
  return x;
}

/** Cast a Float64Array to the kernel interface's Float32Array type (js kernels only index it). */
export function f(x: Float64Array): Float32Array {
  return x as unknown as Float32Array;
}

export function gradcheck<I extends F64Inputs>(
  what: string,
  inputs: I,
  forward: (x: I) => Float64Array,
  backward: (x: I, dOut: Float64Array) => Partial<Record<keyof I, Float64Array>>,
  opts: { eps?: number; tol?: number; only?: string[] } = {},
): void {
  const eps = opts.eps ?? 1e-6;
  const tol = opts.tol ?? 1e-6;
  const out0 = forward(inputs);
  const r = rng(12345);
  const R = randn(out0.length, r);
  const analytic = backward(inputs, R);
  const loss = (): number => {
    const o = forward(inputs);
    let s = 0;
    for (let i = 0; i < o.length; i++) s += o[i] * R[i];
    return s;
  };
  for (const name of opts.only ?? Object.keys(analytic)) {
    const x = inputs[name];
    const g = analytic[name as keyof I];
    assert.ok(g, `${what}: no analytic gradient for ${name}`);
    let scale = 1e-12;
    const numeric = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const keep = x[i];
      x[i] = keep + eps;
      const lp = loss();
      x[i] = keep - eps;
      const lm = loss();
      x[i] = keep;
      numeric[i] = (lp - lm) / (2 * eps);
      scale = Math.max(scale, Math.abs(numeric[i]));
    }
    for (let i = 0; i < x.length; i++) {
      const err = Math.abs(numeric[i] - g[i]);
      if (err > tol * scale + 1e-9) {
        assert.fail(`${what}: d/d${name}[${i}] analytic ${g[i]} vs numeric ${numeric[i]} (|diff| ${err.toExponential(2)}, scale ${scale.toExponential(2)})`);
      }
    }
  }
}
