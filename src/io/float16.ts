/**
 * Exact conversions between fp32 and the two 16-bit float formats stored in checkpoints.
 *
 * - bf16 (bfloat16): the top 16 bits of an fp32 (1 sign, 8 exponent, 7 mantissa bits).
 *   Widening is a shift; narrowing rounds to nearest, ties to even (what torch's `.to(bfloat16)` does).
 * - f16 (IEEE 754 binary16): 1 sign, 5 exponent (bias 15), 10 mantissa bits, with subnormals.
 *   Widening is exact (via a 65,536-entry table); narrowing rounds to nearest even, overflowing to ±inf
 *   from 65520 upwards (the midpoint between 65504 and 2^16), and keeps subnormals down to 2^-24.
 * NaN keeps its sign and becomes a quiet NaN (payload's top bits kept where they fit).
 *
 * All functions work on whole arrays: `Uint16Array` holds raw 16-bit patterns.
 */

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** The fp32 value of one binary16 bit pattern (exact). */
function halfBitsToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24; // zero or subnormal: mant · 2^-24
  if (exp === 0x1f) {
    if (mant === 0) return sign * Infinity;
    // NaN: place the 10-bit payload at the top of fp32's 23-bit mantissa, like a hardware widen.
    u32Scratch[0] = ((h & 0x8000) << 16) | 0x7f800000 | (mant << 13);
    return f32Scratch[0]!;
  }
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

let halfTable: Float32Array | null = null;
/** f16 bits → fp32, all 65,536 patterns (256 KB, built on first use). */
function halfToFloatTable(): Float32Array {
  if (halfTable === null) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfBitsToFloat(h);
  }
  return halfTable;
}

export function f16ToF32(src: Uint16Array, out: Float32Array = new Float32Array(src.length)): Float32Array {
  const table = halfToFloatTable();
  for (let i = 0; i < src.length; i++) out[i] = table[src[i]!]!;
  return out;
}

export function bf16ToF32(src: Uint16Array, out: Float32Array = new Float32Array(src.length)): Float32Array {
  const o = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < src.length; i++) o[i] = src[i]! << 16;
  return out;
}

export function f32ToBf16(src: Float32Array, out: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  const s = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < s.length; i++) {
    const x = s[i]!;
    if ((x & 0x7fffffff) > 0x7f800000) {
      out[i] = (x >>> 16) | 0x0040; // NaN → quiet NaN, sign kept
    } else {
      // Round to nearest even: add 0x7fff plus the lowest kept bit, then truncate. Overflow past the
      // largest finite bf16 carries into the exponent and yields ±inf, as it should.
      out[i] = ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
    }
  }
  return out;
}

/** Round half to even for a non-negative double. */
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export function f32ToF16(src: Float32Array, out: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  const s = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < s.length; i++) {
    const x = s[i]!;
    const sign = (x >>> 16) & 0x8000;
    const abs = x & 0x7fffffff;
    let h: number;
    if (abs > 0x7f800000) {
      h = 0x7e00 | ((abs >>> 13) & 0x3ff); // quiet NaN, top payload bits kept
    } else if (abs >= 0x477ff000) {
      h = 0x7c00; // ≥ 65520 (or inf) → inf
    } else if (abs < 0x38800000) {
      // Below 2^-14: subnormal (or zero) in f16; value = m · 2^-24 with m rounded half-even.
      // The product is exact in double precision.
      f32Scratch[0] = src[i]!;
      h = roundHalfEven(Math.abs(f32Scratch[0]!) * 2 ** 24); // may reach 0x400 = smallest normal, correctly
    } else {
      const exp = (abs >>> 23) - 127 + 15; // 1..30
      const mant = abs & 0x7fffff;
      h = (exp << 10) | (mant >>> 13);
      const rest = mant & 0x1fff; // the 13 dropped bits
      if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h += 1; // carry may bump the exponent
    }
    out[i] = sign | h;
  }
  return out;
}

/** Convenience for tests and tools: the fp32 value of one bf16 bit pattern. */
export function bf16BitsToNumber(bits: number): number {
  u32Scratch[0] = (bits & 0xffff) << 16;
  return f32Scratch[0]!;
}

/** Convenience: the fp32 value of one f16 bit pattern. */
export function f16BitsToNumber(bits: number): number {
  return halfToFloatTable()[bits & 0xffff]!;
}
