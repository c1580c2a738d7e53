// Child process of threads.test.ts: reports the addon's configuration and how far a parallel matmul and
// attention forward are from the js reference (max |native − js| / max |js|).
import { createJsBackend } from '../../src/backend/js/index.ts';
import { loadNativeBackend, nativeInfo } from '../../src/backend/native/index.ts';
import { randF32, rng } from './helpers.ts';

const nb = loadNativeBackend()!;
const js = createJsBackend();
const r = rng(7);
let maxRel = 0;
const rel = (a: Float32Array, b: Float32Array) => {
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
};
const [m, n, k] = [211, 190, 130];
const a = randF32(r, m * k);
const b = randF32(r, k * n);
const cn = new Float32Array(m * n);
const cj = new Float32Array(m * n);
nb.matmul({ a, b, c: cn, m, n, k });
js.matmul({ a, b, c: cj, m, n, k });
maxRel = Math.max(maxRel, rel(cn, cj));
const att = { b: 3, tq: 100, tk: 100, hq: 4, hkv: 2, dh: 16, scale: 0.25, window: 0, softcap: 0 };
const q = randF32(r, 3 * 100 * 4 * 16);
const kk = randF32(r, 3 * 100 * 2 * 16);
const v = randF32(r, 3 * 100 * 2 * 16);
const on = new Float32Array(q.length);
const oj = new Float32Array(q.length);
nb.attentionForward({ ...att, q, k: kk, v, out: on, lse: new Float32Array(3 * 4 * 100) });
js.attentionForward({ ...att, q, k: kk, v, out: oj, lse: new Float32Array(3 * 4 * 100) });
maxRel = Math.max(maxRel, rel(on, oj));
const info = nativeInfo()!;
console.log(JSON.stringify({ isa: info.isa, threads: info.threads, maxRel }));
