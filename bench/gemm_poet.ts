/**
 * GEMM throughput of poet's backends (in process). Shapes are given as m × n × k with op(A) [m,k] and
 * op(B) [k,n], like the Backend interface's matmul.
 */
import type { Backend } from '../src/backend/types.ts';

export interface GemmShape {
  label: string;
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
}

export interface GemmResult {
  /** GFLOP/s of the fastest run and of the median run. */
  best: number;
  median: number;
  runs: number;
}

function filled(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}

/** Times `backend.matmul` on one shape: one warm-up, then repeats for at least `minMs` (and ≥ minRuns). */
export function benchGemm(backend: Backend, s: GemmShape, minMs: number, minRuns = 3): GemmResult {
  const a = filled(s.m * s.k, 1);
  const b = filled(s.k * s.n, 2);
  const c = new Float32Array(s.m * s.n);
  const args = { a, b, c, m: s.m, n: s.n, k: s.k, transA: s.transA, transB: s.transB };
  backend.matmul(args);
  const times: number[] = [];
  const start = performance.now();
  while (performance.now() - start < minMs || times.length < minRuns) {
    const t0 = performance.now();
    backend.matmul(args);
    times.push(performance.now() - t0);
  }
  times.sort((x, y) => x - y);
  const flop = 2 * s.m * s.n * s.k;
  return { best: flop / times[0] / 1e6, median: flop / times[Math.floor(times.length / 2)] / 1e6, runs: times.length };
}

/** The benchmark's shapes: the classic cube, then the bench model's (512 tokens, d 256, I 688, V 2048). */
export const GEMM_SHAPES: GemmShape[] = [
  { label: '1024³ (NN)', m: 1024, n: 1024, k: 1024 },
  { label: 'q/k/v/o proj fwd x·Wᵀ', m: 512, n: 256, k: 256, transB: true },
  { label: 'gate/up fwd x·Wᵀ', m: 512, n: 688, k: 256, transB: true },
  { label: 'down fwd x·Wᵀ', m: 512, n: 256, k: 688, transB: true },
  { label: 'lm_head fwd x·Wᵀ', m: 512, n: 2048, k: 256, transB: true },
  { label: 'gate/up dX = dY·W', m: 512, n: 256, k: 688 },
  { label: 'gate/up dW = dYᵀ·X', m: 688, n: 256, k: 512, transA: true },
  { label: 'lm_head dW = dYᵀ·X', m: 2048, n: 256, k: 512, transA: true },
];
