/**
 * Coarse differentiable ops. Each op runs its forward kernel on the tape's backend, checks numerics when
 * asked, and records a backward closure that ACCUMULATES into the gradients of its inputs (see the
 * ACCUMULATE/OVERWRITE rules in src/backend/types.ts). A closure whose output received no gradient is a
 * no-op. Shapes: N rows (= B·T tokens), D hidden, V vocab, Hq/Hkv heads, Dh head dim.
 */
import type { AttentionCommon, GluActivation } from '../backend/types.ts';
import type { Tape } from './tape.ts';
import { Parameter, type Tensor } from './tensor.ts';

function rows(x: Tensor): number {
  return x.size / x.shape[x.shape.length - 1];
}

/**
 * y[N,out] = x[N,in] · Wᵀ (+ bias), W stored [out,in] as HF nn.Linear. x may have any shape whose size is
 * N·in (e.g. attention output [B,T,H,Dh]); `outShape` (size N·out) defaults to [N, out].
 */
export function linear(
  tape: Tape,
  name: string,
  x: Tensor,
  w: Parameter,
  bias: Parameter | null,
  outShape?: readonly number[],
): Tensor {
  const be = tape.backend;
  const [outF, inF] = w.shape;
  const n = x.size / inF;
  if (!Number.isInteger(n)) throw new Error(`${name}: input size ${x.size} is not a multiple of in_features ${inF}`);
  const y = tape.tensor(outShape ?? [n, outF]);
  be.matmul({ a: x.data, b: w.data, c: y.data, m: n, n: outF, k: inF, transB: true });
  if (bias) be.biasAdd({ x: y.data, bias: bias.data, n, d: outF });
  tape.check(name, 'output', y.data);
  tape.record(name, () => {
    const dy = y.grad;
    if (!dy) return;
    const dx = tape.grad(x);
    // dx[N,in] += dy[N,out] · W[out,in]
    if (dx) be.matmul({ a: dy, b: w.data, c: dx, m: n, n: inF, k: outF, accumulate: true });
    // dW[out,in] += dyᵀ[out,N] · x[N,in]
    const dw = tape.grad(w);
    if (dw) be.matmul({ a: dy, b: x.data, c: dw, m: outF, n: inF, k: n, transA: true, accumulate: true });
    const db = bias ? tape.grad(bias) : null;
    if (db) be.biasBackward({ dBias: db, dOut: dy, n, d: outF });
    tape.check(name, 'input gradient', dx);
  });
  return y;
}

/** out[N,D] = scale · table[ids] (token embedding lookup; Gemma-2 scales by sqrt(hidden)). */
export function embedding(tape: Tape, name: string, ids: Int32Array, table: Parameter, scale: number): Tensor {
  const be = tape.backend;
  const d = table.shape[1];
  const n = ids.length;
  const out = tape.tensor([n, d]);
  be.embeddingForward({ out: out.data, table: table.data, ids, n, d, scale });
  tape.record(name, () => {
    const dOut = out.grad;
    const dTable = tape.grad(table);
    if (dOut && dTable) be.embeddingBackward({ dTable, dOut, ids, n, d, scale });
  });
  return out;
}

/** RMSNorm over the last dim (HF LlamaRMSNorm; Gemma2RMSNorm with addOne). */
export function rmsnorm(tape: Tape, name: string, x: Tensor, w: Parameter, eps: number, addOne: boolean): Tensor {
  const be = tape.backend;
  const d = x.shape[x.shape.length - 1];
  const n = rows(x);
  const out = tape.tensor(x.shape);
  const rstd = tape.buffer(n);
  be.rmsnormForward({ out: out.data, rstd, x: x.data, w: w.data, n, d, eps, addOne });
  tape.check(name, 'output', out.data);
  tape.record(name, () => {
    const dOut = out.grad;
    if (!dOut) return;
    const dx = tape.grad(x);
    // dw is required by the kernel; a frozen weight gets a scratch buffer (rare: frozen models do not record)
    const dw = tape.grad(w) ?? tape.buffer(d, true);
    be.rmsnormBackward({ dx: dx!, dw, dOut, x: x.data, w: w.data, rstd, n, d, addOne });
    tape.check(name, 'input gradient', dx);
  });
  return out;
}

export interface RopeTables {
  cos: Float32Array;
  sin: Float32Array;
  /** Number of positions the tables cover. */
  maxPositions: number;
}

/** Rotary embedding IN PLACE on x[B,T,H,Dh] (returns x). Backward rotates x's gradient back, in place. */
export function ropeInPlace(
  tape: Tape,
  name: string,
  x: Tensor,
  tables: RopeTables,
  positions: Int32Array,
  b: number,
  t: number,
): Tensor {
  const be = tape.backend;
  const [, , h, dh] = x.shape;
  be.ropeForward({ x: x.data, cos: tables.cos, sin: tables.sin, positions, b, t, h, dh });
  tape.record(name, () => {
    // The gradient buffer of x is, at this point, the gradient w.r.t. the ROTATED x; rotating it back
    // turns it into the gradient w.r.t. the input of rope, which the producer of x then consumes.
    if (x.grad) be.ropeBackward({ x: x.grad, cos: tables.cos, sin: tables.sin, positions, b, t, h, dh });
  });
  return x;
}

/** The attention kernel's dimensions and options: its argument object without the buffers. */
export type AttentionOptions = Omit<AttentionCommon, 'q' | 'k' | 'v'>;

/** Causal GQA attention: q [B,Tq,Hq,Dh], k/v [B,Tcap,Hkv,Dh] → out [B,Tq,Hq,Dh]. */
export function attention(tape: Tape, name: string, q: Tensor, k: Tensor, v: Tensor, o: AttentionOptions): Tensor {
  const be = tape.backend;
  const out = tape.tensor(q.shape);
  const lse = tape.buffer(o.b * o.hq * o.tq);
  const common = { ...o, q: q.data, k: k.data, v: v.data, firstKey: o.firstKey ?? null };
  be.attentionForward({ ...common, out: out.data, lse });
  tape.check(name, 'output', out.data);
  tape.record(name, () => {
    const dOut = out.grad;
    if (!dOut) return;
    const dq = tape.grad(q)!;
    const dk = tape.grad(k)!;
    const dv = tape.grad(v)!;
    be.attentionBackward({ ...common, out: out.data, lse, dOut, dq, dk, dv });
    tape.check(name, 'dq', dq);
    tape.check(name, 'dk', dk);
    tape.check(name, 'dv', dv);
  });
  return out;
}

/** Gated MLP activation: out = act(gate)·up (SwiGLU with silu, GeGLU with tanh-GELU). */
export function glu(tape: Tape, name: string, gate: Tensor, up: Tensor, act: GluActivation): Tensor {
  const be = tape.backend;
  const out = tape.tensor(gate.shape);
  const len = gate.size;
  be.gluForward({ out: out.data, gate: gate.data, up: up.data, len, act });
  tape.check(name, 'output', out.data);
  tape.record(name, () => {
    const dOut = out.grad;
    if (!dOut) return;
    be.gluBackward({ dGate: tape.grad(gate)!, dUp: tape.grad(up)!, dOut, gate: gate.data, up: up.data, len, act });
  });
  return out;
}

/** Residual add: out = a + b. */
export function add(tape: Tape, name: string, a: Tensor, b: Tensor): Tensor {
  const be = tape.backend;
  const out = tape.tensor(a.shape);
  be.add({ out: out.data, a: a.data, b: b.data, len: a.size });
  tape.record(name, () => {
    const dOut = out.grad;
    if (!dOut) return;
    for (const t of [a, b]) {
      const g = tape.grad(t);
      if (g) be.axpy({ y: g, x: dOut, alpha: 1, len: a.size });
    }
  });
  return out;
}

export { Parameter };
