// worker_threads body for threads.test.ts: several JS threads call the addon at the same time (only one
// can own the pool; the others run their kernels serially). Posts max |native − js| / max |js|.
import { parentPort, workerData } from 'node:worker_threads';
import { createJsBackend } from '../../src/backend/js/index.ts';
import { loadNativeBackend } from '../../src/backend/native/index.ts';
import { randF32, rng } from './helpers.ts';

const nb = loadNativeBackend()!;
const js = createJsBackend();
const r = rng((workerData as { seed: number }).seed);
let maxRel = 0;
for (let rep = 0; rep < 20; rep++) {
  const [m, n, k] = [120 + rep, 130, 90];
  const a = randF32(r, m * k);
  const b = randF32(r, k * n);
  const cn = new Float32Array(m * n);
  const cj = new Float32Array(m * n);
  nb.matmul({ a, b, c: cn, m, n, k, transB: rep % 2 === 1 });
  js.matmul({ a, b, c: cj, m, n, k, transB: rep % 2 === 1 });
  let d = 0;
  let mx = 0;
  for (let i = 0; i < cn.length; i++) {
    d = Math.max(d, Math.abs(cn[i] - cj[i]));
    mx = Math.max(mx, Math.abs(cj[i]));
  }
  maxRel = Math.max(maxRel, d / mx);
}
parentPort!.postMessage(maxRel);
