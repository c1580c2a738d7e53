/**
 * Native fused attention (forward and backward) against the js reference: MHA and GQA, several key tiles
 * (T > 64), a sliding window, soft-capping, KV-cache decode (Tq < Tk, Tcap > Tk), left padding (firstKey)
 * including rows that see no key at all, and an odd head dimension; both kernel paths.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AttentionCommon } from '../../src/backend/types.ts';
import { assertClose, copy, isaPaths, js, native, randF32, rng, skipReason, withIsa } from './helpers.ts';

interface Case {
  name: string;
  b: number; tq: number; tk: number; tcap?: number; hq: number; hkv: number; dh: number;
  window?: number; softcap?: number; firstKey?: number[];
}

const CASES: Case[] = [
  { name: 'single token', b: 1, tq: 1, tk: 1, hq: 1, hkv: 1, dh: 4 },
  { name: 'MHA small', b: 2, tq: 5, tk: 5, hq: 3, hkv: 3, dh: 8 },
  { name: 'GQA, several tiles', b: 2, tq: 131, tk: 131, hq: 4, hkv: 2, dh: 16 },
  { name: 'sliding window', b: 1, tq: 150, tk: 150, hq: 2, hkv: 1, dh: 8, window: 37 },
  { name: 'soft-capping', b: 2, tq: 70, tk: 70, hq: 2, hkv: 2, dh: 12, softcap: 2 },
  { name: 'decode with cache capacity', b: 2, tq: 3, tk: 70, tcap: 80, hq: 4, hkv: 1, dh: 8 },
  { name: 'left padding, rows with no key', b: 2, tq: 12, tk: 12, hq: 2, hkv: 1, dh: 6, firstKey: [0, 9] },
  { name: 'odd head dim, window + cap + padding', b: 2, tq: 67, tk: 67, hq: 2, hkv: 2, dh: 5, window: 20, softcap: 3, firstKey: [3, 0] },
];

function setup(c: Case, seed: number) {
  const r = rng(seed);
  const tcap = c.tcap ?? c.tk;
  const common: AttentionCommon = {
    q: randF32(r, c.b * c.tq * c.hq * c.dh, -2, 2),
    k: randF32(r, c.b * tcap * c.hkv * c.dh, -2, 2),
    v: randF32(r, c.b * tcap * c.hkv * c.dh),
    b: c.b, tq: c.tq, tk: c.tk, tcap, hq: c.hq, hkv: c.hkv, dh: c.dh,
    scale: 1 / Math.sqrt(c.dh), window: c.window ?? 0, softcap: c.softcap ?? 0,
    firstKey: c.firstKey ? Int32Array.from(c.firstKey) : null,
  };
  return { common, r };
}

describe('native attention', { skip: skipReason }, () => {
  for (const isa of isaPaths) {
    for (const [ci, c] of CASES.entries()) {
      it(`${c.name} (${isa})`, () => withIsa(isa, () => {
        const { common, r } = setup(c, 100 + ci);
        const nOut = c.b * c.tq * c.hq * c.dh;
        const nLse = c.b * c.hq * c.tq;
        const outN = new Float32Array(nOut).fill(NaN);
        const lseN = new Float32Array(nLse).fill(NaN);
        const outJ = new Float32Array(nOut);
        const lseJ = new Float32Array(nLse);
        native!.attentionForward({ ...common, out: outN, lse: lseN });
        js.attentionForward({ ...common, out: outJ, lse: lseJ });
        assertClose(outN, outJ, `${c.name} out`);
        assertClose(lseN, lseJ, `${c.name} lse`);
        if (c.firstKey) assert.ok(lseJ.some((x) => x === -Infinity), 'case must contain a row that sees no key');

        const dOut = randF32(r, nOut);
        const dq0 = randF32(r, nOut);
        const dk0 = randF32(r, common.k.length);
        const dv0 = randF32(r, common.v.length);
        const gN = { dq: copy(dq0), dk: copy(dk0), dv: copy(dv0) };
        const gJ = { dq: copy(dq0), dk: copy(dk0), dv: copy(dv0) };
        native!.attentionBackward({ ...common, out: outJ, lse: lseJ, dOut, ...gN });
        js.attentionBackward({ ...common, out: outJ, lse: lseJ, dOut, ...gJ });
        assertClose(gN.dq, gJ.dq, `${c.name} dq`);
        assertClose(gN.dk, gJ.dk, `${c.name} dk`);
        assertClose(gN.dv, gJ.dv, `${c.name} dv`);
      }));
    }
  }

  it('rejects hkv not dividing hq and tq > tk', () => {
    const { common } = setup(CASES[1]!, 1);
    const out = new Float32Array(1000);
    const lse = new Float32Array(100);
    assert.throws(() => native!.attentionForward({ ...common, hkv: 2, out, lse }), /hkv must divide hq/);
    assert.throws(() => native!.attentionForward({ ...common, tq: 6, out, lse }), /tq \(6\) must be <= tk \(5\)/);
  });
});
