import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16, f16BitsToNumber } from '../../src/io/float16.ts';
import { readFixtureJson } from './helpers.ts';

const isNaNBf16 = (b: number): boolean => (b & 0x7f80) === 0x7f80 && (b & 0x7f) !== 0;
const isNaNF16 = (b: number): boolean => (b & 0x7c00) === 0x7c00 && (b & 0x3ff) !== 0;

function allPatterns(skip: (b: number) => boolean): Uint16Array {
  const out: number[] = [];
  for (let b = 0; b < 65536; b++) if (!skip(b)) out.push(b);
  return Uint16Array.from(out);
}

test('bf16: every non-NaN pattern survives widen → narrow unchanged (exhaustive)', () => {
  const bits = allPatterns(isNaNBf16);
  const back = f32ToBf16(bf16ToF32(bits));
  const bad = bits.findIndex((b, i) => back[i] !== b);
  assert.equal(bad, -1, `pattern 0x${bits[bad]?.toString(16)} came back as 0x${back[bad]?.toString(16)}`);
});

test('f16: every non-NaN pattern survives widen → narrow unchanged (exhaustive)', () => {
  const bits = allPatterns(isNaNF16);
  const back = f32ToF16(f16ToF32(bits));
  const bad = bits.findIndex((b, i) => back[i] !== b);
  assert.equal(bad, -1, `pattern 0x${bits[bad]?.toString(16)} came back as 0x${back[bad]?.toString(16)}`);
});

test('bf16 narrowing rounds every midpoint to even, and its neighbours to the nearer value (exhaustive)', () => {
  // For each finite bf16 b (both signs) whose successor b+1 is also finite/inf, the fp32 values between them:
  // b<<16 | 0x8000 is the exact midpoint; one fp32 ulp below rounds to b, one above to b+1.
  const mids: number[] = [];
  const expect: number[] = [];
  for (let b = 0; b < 65536; b++) {
    if ((b & 0x7fff) >= 0x7f80) continue; // inf / NaN have no successor in the same direction
    const m = (b << 16) | 0x8000;
    mids.push(m, m - 1, m + 1);
    expect.push(b & 1 ? b + 1 : b, b, b + 1);
  }
  const f = new Float32Array(new Uint32Array(mids.map((x) => x >>> 0)).buffer);
  const got = f32ToBf16(f);
  const bad = expect.findIndex((e, i) => got[i] !== e);
  assert.equal(bad, -1, `f32 0x${(mids[bad]! >>> 0).toString(16)} → 0x${got[bad]?.toString(16)}, expected 0x${expect[bad]?.toString(16)}`);
});

test('f16 narrowing rounds every midpoint to even, and its neighbours to the nearer value (exhaustive)', () => {
  const vals: number[] = [];
  const expect: number[] = [];
  for (const sign of [0, 0x8000]) {
    for (let h = 0; h < 0x7c00; h++) {
      const lo = f16BitsToNumber(h);
      const hi = f16BitsToNumber(h + 1); // 0x7bff + 1 = inf: the midpoint 65520 must overflow
      const mid = h === 0x7bff ? 65520 : (lo + hi) / 2;
      assert.equal(Math.fround(mid), mid, 'an f16 midpoint is representable in fp32');
      const s = sign ? -1 : 1;
      const below = new Float32Array([mid]);
      const u = new Uint32Array(below.buffer);
      const midBits = u[0]!;
      u[0] = midBits - 1;
      const justBelow = below[0]!;
      u[0] = midBits + 1;
      const justAbove = below[0]!;
      vals.push(s * mid, s * justBelow, s * justAbove);
      expect.push(sign | (h & 1 ? h + 1 : h), sign | h, sign | (h + 1));
    }
  }
  const got = f32ToF16(new Float32Array(vals));
  const bad = expect.findIndex((e, i) => got[i] !== e);
  assert.equal(bad, -1, `f32 ${vals[bad]} → 0x${got[bad]?.toString(16)}, expected 0x${expect[bad]?.toString(16)}`);
});

test('f16 widening: anchors, and strictly increasing over all positive finite patterns', () => {
  assert.equal(f16BitsToNumber(0x3c00), 1);
  assert.equal(f16BitsToNumber(0x0001), 2 ** -24);
  assert.equal(f16BitsToNumber(0x03ff), 1023 * 2 ** -24);
  assert.equal(f16BitsToNumber(0x0400), 2 ** -14);
  assert.equal(f16BitsToNumber(0x7bff), 65504);
  assert.equal(f16BitsToNumber(0xc000), -2);
  assert.equal(f16BitsToNumber(0x7c00), Infinity);
  assert.equal(f16BitsToNumber(0xfc00), -Infinity);
  assert.ok(Object.is(f16BitsToNumber(0x8000), -0));
  assert.ok(Number.isNaN(f16BitsToNumber(0x7e00)));
  let prev = -1;
  for (let h = 0; h <= 0x7c00; h++) {
    const v = f16BitsToNumber(h);
    assert.ok(v > prev, `0x${h.toString(16)} = ${v} not above ${prev}`);
    prev = v;
  }
});

test('narrowing matches torch (bf16) and numpy (f16) on 6,700 fp32 values (Python fixture)', () => {
  const fx = readFixtureJson<{ f32_bits: number[]; bf16_bits: number[]; f16_bits: number[] }>('conversions.json');
  const f32 = new Float32Array(Uint32Array.from(fx.f32_bits).buffer);
  const bf = f32ToBf16(f32);
  const h = f32ToF16(f32);
  let badBf = 0;
  let badH = 0;
  const firstBad: string[] = [];
  for (let i = 0; i < f32.length; i++) {
    if (bf[i] !== fx.bf16_bits[i]) {
      badBf++;
      if (firstBad.length < 5) firstBad.push(`bf16(0x${fx.f32_bits[i]!.toString(16)}) = 0x${bf[i]!.toString(16)} vs torch 0x${fx.bf16_bits[i]!.toString(16)}`);
    }
    if (h[i] !== fx.f16_bits[i]) {
      badH++;
      if (firstBad.length < 5) firstBad.push(`f16(0x${fx.f32_bits[i]!.toString(16)}) = 0x${h[i]!.toString(16)} vs numpy 0x${fx.f16_bits[i]!.toString(16)}`);
    }
  }
  assert.ok(f32.length > 6000);
  assert.deepEqual({ badBf, badH }, { badBf: 0, badH: 0 }, firstBad.join('\n'));
});

test('NaN stays NaN with its sign, inf stays inf', () => {
  const f = new Float32Array([NaN, 0, Infinity, -Infinity, 3.4e38]);
  new Uint32Array(f.buffer)[1] = 0xffc00001; // a negative NaN with a payload (JS's -NaN has no observable sign)
  const bf = f32ToBf16(f);
  const h = f32ToF16(f);
  assert.ok(isNaNBf16(bf[0]!) && isNaNF16(h[0]!));
  assert.equal(bf[1]! & 0x8000, 0x8000);
  assert.equal(h[1]! & 0x8000, 0x8000);
  assert.deepEqual([bf[2], bf[3], h[2], h[3], h[4]], [0x7f80, 0xff80, 0x7c00, 0xfc00, 0x7c00]);
  // 3.4e38 = 0x7f7fc99e: the dropped half 0xc99e is above the midpoint, so it rounds up past the largest finite bf16.
  assert.equal(bf[4], 0x7f80);
});
