/**
 * Language-model head fused with per-token log-probabilities, processed in row chunks so that the full
 * [N, V] logits never have to exist at once for big vocabularies.
 *
 * Forward per chunk of rows: logits = h·Wᵀ ([rows, V]), optional final soft-capping c·tanh(z/c) (Gemma-2),
 * then the fused kernel: logp (0 for targets −100), lse, and the row sum of (capped) logits.
 * Backward per chunk: the logits are either kept from the forward (when N·V is small) or recomputed
 * (one extra GEMM, the usual memory/compute trade), then
 *   dz = dlogp·(softmax − onehot) [· (1 − (y/c)²) when capped],  dh += dz·W,  dW += dzᵀ·h.
 */
import type { Tape } from './tape.ts';
import type { Parameter, Tensor } from './tensor.ts';

export interface LmHeadOptions {
  /** Final logit soft-cap c (0 = none). */
  softcap: number;
  /** Floats per logits chunk (rows = max(1, floor(chunkFloats / V))). Default 2^20. */
  chunkFloats?: number;
  /** Keep all logits for backward when N·V ≤ this many floats (default 2^22); otherwise recompute. */
  keepLogitsFloats?: number;
}

export interface LmHeadResult {
  /** [N] per-token log-probs (0 where ignored); its `.grad` receives d loss / d logp. */
  logp: Tensor;
  /** [N] Σ_v logits[n, v] (after soft-capping), for the `logits/*` metrics. */
  logitSum: Float32Array;
}

export function lmHeadLogprobs(
  tape: Tape,
  h: Tensor,
  w: Parameter,
  targets: Int32Array,
  opts: LmHeadOptions,
): LmHeadResult {
  const be = tape.backend;
  const [V, D] = w.shape;
  const N = h.size / D;
  const cap = opts.softcap;
  const chunkRows = Math.max(1, Math.min(N, Math.floor((opts.chunkFloats ?? 1 << 20) / V)));
  const keep = tape.recording && N * V <= (opts.keepLogitsFloats ?? 1 << 22);
  const logp = tape.tensor([N]);
  const lse = tape.buffer(N);
  const logitSum = tape.buffer(N);
  const kept = keep ? tape.buffer(N * V) : null;
  const scratch = keep ? null : tape.buffer(chunkRows * V);

  const computeLogits = (r0: number, rows: number, dst: Float32Array): void => {
    be.matmul({ a: h.data.subarray(r0 * D, (r0 + rows) * D), b: w.data, c: dst, m: rows, n: V, k: D, transB: true });
    if (cap > 0) be.softcapForward({ out: dst, x: dst, len: rows * V, cap });
  };
  const logitsOf = (r0: number, rows: number): Float32Array =>
    kept ? kept.subarray(r0 * V, (r0 + rows) * V) : scratch!.subarray(0, rows * V);

  for (let r0 = 0; r0 < N; r0 += chunkRows) {
    const rows = Math.min(chunkRows, N - r0);
    const z = logitsOf(r0, rows);
    computeLogits(r0, rows, z);
    tape.check('lm_head', 'logits', z);
    be.logprobsForward({
      logits: z,
      targets: targets.subarray(r0, r0 + rows),
      n: rows,
      v: V,
      logp: logp.data.subarray(r0, r0 + rows),
      lse: lse.subarray(r0, r0 + rows),
      logitSum: logitSum.subarray(r0, r0 + rows),
    });
  }

  tape.record('lm_head_logprobs', () => {
    const dLogp = logp.grad;
    if (!dLogp) return;
    const dh = tape.grad(h)!;
    const dw = tape.grad(w);
    const zBuf = kept ? null : scratch!;
    const dz = tape.buffer(chunkRows * V);
    for (let r0 = 0; r0 < N; r0 += chunkRows) {
      const rows = Math.min(chunkRows, N - r0);
      let z: Float32Array;
      if (kept) z = kept.subarray(r0 * V, (r0 + rows) * V);
      else {
        z = zBuf!.subarray(0, rows * V);
        computeLogits(r0, rows, z);
      }
      const g = dz.subarray(0, rows * V);
      be.logprobsBackward({
        dLogits: g,
        dLogp: dLogp.subarray(r0, r0 + rows),
        logits: z,
        lse: lse.subarray(r0, r0 + rows),
        targets: targets.subarray(r0, r0 + rows),
        n: rows,
        v: V,
      });
      if (cap > 0) be.softcapBackward({ dx: g, dOut: g, y: z, len: rows * V, cap });
      be.matmul({ a: g, b: w.data, c: dh.subarray(r0 * D, (r0 + rows) * D), m: rows, n: D, k: V, accumulate: true });
      if (dw) {
        be.matmul({
          a: g,
          b: h.data.subarray(r0 * D, (r0 + rows) * D),
          c: dw,
          m: V,
          n: D,
          k: rows,
          transA: true,
          accumulate: true,
        });
      }
    }
    tape.check('lm_head_logprobs', 'hidden gradient', dh);
  });
  return { logp, logitSum };
}

/** Logits [rows, V] for selected rows of h (generation): a fresh array, soft-capped when configured. */
export function lmHeadLogits(tape: Tape, h: Tensor, w: Parameter, rowIdx: readonly number[], softcap: number): Float32Array {
  const be = tape.backend;
  const [V, D] = w.shape;
  const out = new Float32Array(rowIdx.length * V);
  const gathered = tape.buffer(rowIdx.length * D);
  rowIdx.forEach((r, i) => gathered.set(h.data.subarray(r * D, (r + 1) * D), i * D));
  be.matmul({ a: gathered, b: w.data, c: out, m: rowIdx.length, n: V, k: D, transB: true });
  if (softcap > 0) be.softcapForward({ out, x: out, len: out.length, cap: softcap });
  tape.check('lm_head', 'logits', out);
  return out;
}
