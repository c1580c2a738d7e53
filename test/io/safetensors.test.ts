import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PoetError } from '../../src/util/errors.ts';
import { SafetensorsReader, readSafetensors, readSafetensorsHeader, writeSafetensors, type TensorToWrite } from '../../src/io/safetensors.ts';
import { bf16ToF32, f16ToF32 } from '../../src/io/float16.ts';
import { FIXTURES, bitsOf, rawSafetensors, readFixtureJson, tmpDir } from './helpers.ts';

function randomPatterns(n: number, seed: number, isNaN: (b: number) => boolean): Uint16Array {
  const out = new Uint16Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    do {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      out[i] = x >>> 16;
    } while (isNaN(out[i]!));
  }
  return out;
}

test('write → read round trip for F32, BF16, F16, I32, I64; bf16/f16 bit-exact', () => {
  const dir = tmpDir();
  const bfBits = randomPatterns(1000, 1, (b) => (b & 0x7f80) === 0x7f80 && (b & 0x7f) !== 0);
  const hBits = randomPatterns(999, 2, (b) => (b & 0x7c00) === 0x7c00 && (b & 0x3ff) !== 0);
  const f32 = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i) * 1e3);
  const tensors: [string, TensorToWrite][] = [
    ['w.f32', { dtype: 'F32', shape: [3, 4], data: f32 }],
    ['w.bf16', { dtype: 'BF16', shape: [10, 100], data: bf16ToF32(bfBits) }],
    ['w.f16', { dtype: 'F16', shape: [999], data: f16ToF32(hBits) }],
    ['ids.i32', { dtype: 'I32', shape: [2, 2], data: Int32Array.from([1, -2, 2147483647, -2147483648]) }],
    ['ids.i64', { dtype: 'I64', shape: [3], data: BigInt64Array.from([0n, -1n, 2n ** 62n]) }],
    ['scalar', { dtype: 'F32', shape: [], data: Float32Array.from([7.25]) }],
    ['empty', { dtype: 'BF16', shape: [0, 5], data: new Float32Array(0) }],
  ];
  const file = path.join(dir, 'x.safetensors');
  const bytes = writeSafetensors(file, tensors, { note: 'hi' });
  assert.equal(bytes, 48 + 2000 + 1998 + 16 + 24 + 4);
  assert.ok(!fs.existsSync(`${file}.partial`));

  const h = readSafetensorsHeader(file);
  assert.equal(h.dataStart % 8, 0, 'data section aligned to 8 bytes');
  assert.deepEqual(h.metadata, { format: 'pt', note: 'hi' });
  assert.deepEqual([...h.tensors.keys()], tensors.map(([n]) => n));

  const r = SafetensorsReader.open(file);
  try {
    assert.deepEqual(new Uint16Array(r.readRaw('w.bf16').buffer), bfBits);
    assert.deepEqual(new Uint16Array(r.readRaw('w.f16').buffer), hBits);
    assert.deepEqual(bitsOf(r.readFloat32('w.f32')), bitsOf(f32));
    assert.deepEqual(bitsOf(r.readFloat32('w.bf16')), bitsOf(bf16ToF32(bfBits)));
    assert.deepEqual(Array.from(r.readInt('ids.i32') as Int32Array), [1, -2, 2147483647, -2147483648]);
    assert.deepEqual(Array.from(r.readInt('ids.i64') as BigInt64Array), [0n, -1n, 2n ** 62n]);
    assert.throws(() => r.readFloat32('ids.i32'), /ids\.i32.*dtype I32, expected a floating dtype/);
  } finally {
    r.close();
  }
  const all = readSafetensors(file);
  assert.deepEqual(Array.from(all.tensors.get('scalar')!.data as Float32Array), [7.25]);
  assert.equal(all.tensors.get('empty')!.data.length, 0);
  assert.deepEqual(all.tensors.get('empty')!.shape, [0, 5]);
});

test('reads a file written by hand in Python bit-exactly (unpadded header, all dtypes)', () => {
  const fx = readFixtureJson<{ metadata: Record<string, string>; tensors: Record<string, { dtype: string; shape: number[]; f32_bits?: number[]; values?: string[] }> }>(
    'py_written.expected.json',
  );
  const file = path.join(FIXTURES, 'py_written.safetensors');
  const h = readSafetensorsHeader(file);
  assert.notEqual(h.dataStart % 8, 0, 'the fixture deliberately has an unaligned data section');
  assert.deepEqual(h.metadata, fx.metadata);
  const { tensors } = readSafetensors(file);
  assert.deepEqual([...tensors.keys()].sort(), Object.keys(fx.tensors).sort());
  for (const [name, e] of Object.entries(fx.tensors)) {
    const t = tensors.get(name)!;
    assert.equal(t.dtype, e.dtype, name);
    assert.deepEqual(t.shape, e.shape, name);
    if (e.f32_bits) assert.deepEqual(Array.from(bitsOf(t.data as Float32Array)), e.f32_bits, name);
    else assert.deepEqual(Array.from(t.data as ArrayLike<number | bigint>, (v) => String(v)), e.values, name);
  }
});

// --- corrupt files: each must fail with a PoetError naming the file and the problem

function corrupt(name: string, bytes: Uint8Array): string {
  const dir = tmpDir();
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

function assertBad(file: string, pattern: RegExp): void {
  assert.throws(
    () => readSafetensorsHeader(file),
    (e: unknown) => {
      assert.ok(e instanceof PoetError, `expected a PoetError, got ${String(e)}`);
      assert.ok(e.message.includes(file), `message names the file: ${e.message}`);
      assert.match(e.message, pattern);
      return true;
    },
  );
}

const okHeader = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'BF16', shape: [2], data_offsets: [8, 12] } };
const okData = new Uint8Array(12);

test('corrupt: the hand-built reference file is valid (control)', () => {
  const file = corrupt('ok.safetensors', rawSafetensors(okHeader, okData));
  assert.deepEqual([...readSafetensorsHeader(file).tensors.keys()], ['a', 'b']);
});

test('corrupt: file shorter than the 8-byte length', () => {
  assertBad(corrupt('short.safetensors', new Uint8Array(5)), /5 bytes, shorter than the 8-byte header length/);
});

test('corrupt: header length beyond the file', () => {
  assertBad(corrupt('len.safetensors', rawSafetensors(okHeader, okData, { headerLen: 10_000 })), /header length 10000 exceeds/);
  const huge = rawSafetensors(okHeader, okData);
  new DataView(huge.buffer).setBigUint64(0, 2n ** 63n, true);
  assertBad(corrupt('huge.safetensors', huge), /header length \d+ exceeds/);
});

test('corrupt: header JSON cut short', () => {
  const text = JSON.stringify(okHeader);
  assertBad(corrupt('cut.safetensors', rawSafetensors(okHeader, okData, { headerLen: text.length - 7 })), /header is not valid JSON \(cut or corrupt\)/);
  assertBad(corrupt('notobj.safetensors', rawSafetensors(null, okData, { headerText: '[1,2,3]' })), /header JSON is not an object/);
});

test('corrupt: unknown dtype', () => {
  const h = { a: { dtype: 'F8_E4M3', shape: [2], data_offsets: [0, 2] } };
  assertBad(corrupt('dtype.safetensors', rawSafetensors(h, new Uint8Array(2))), /tensor "a": unsupported dtype "F8_E4M3"/);
});

test('corrupt: offsets out of range / data shorter than declared (truncated file)', () => {
  const full = rawSafetensors(okHeader, okData);
  assertBad(corrupt('trunc.safetensors', full.subarray(0, full.length - 3)), /tensor "b": data_offsets \[8, 12\] go past the end of the data section \(9 bytes; file truncated\?\)/);
  const h = { a: { dtype: 'F32', shape: [2], data_offsets: [100, 108] } };
  assertBad(corrupt('range.safetensors', rawSafetensors(h, new Uint8Array(8))), /go past the end/);
});

test('corrupt: size ≠ prod(shape)·itemsize, overlap, gap, trailing bytes, bad shape', () => {
  const size = { a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } };
  assertBad(corrupt('size.safetensors', rawSafetensors(size, new Uint8Array(8))), /span 8 bytes, but F32 shape \[3\] needs 12/);
  const overlap = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } };
  assertBad(corrupt('overlap.safetensors', rawSafetensors(overlap, new Uint8Array(8))), /overlap the previous tensor/);
  const gap = { a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } };
  assertBad(corrupt('gap.safetensors', rawSafetensors(gap, new Uint8Array(8))), /leave a gap after byte 0/);
  assertBad(corrupt('trail.safetensors', rawSafetensors(okHeader, new Uint8Array(20))), /declares 12 bytes of tensor data but the data section holds 20/);
  const shape = { a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } };
  assertBad(corrupt('shape.safetensors', rawSafetensors(shape, new Uint8Array(4))), /shape \[-1\] is not a list of non-negative integers/);
  const meta = { __metadata__: { format: 1 } };
  assertBad(corrupt('meta.safetensors', rawSafetensors(meta, new Uint8Array(0))), /__metadata__\.format is 1, expected a string/);
});

test('a missing file is a PoetError naming it', () => {
  assert.throws(() => readSafetensorsHeader('/nonexistent/x.safetensors'), (e: unknown) => e instanceof PoetError && /\/nonexistent\/x\.safetensors: cannot open/.test(e.message));
});

test('the writer refuses inconsistent input before creating the file', () => {
  const dir = tmpDir();
  const file = path.join(dir, 'bad.safetensors');
  assert.throws(() => writeSafetensors(file, [['w', { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) }]]), /tensor "w": shape \[2, 2\] needs 4 elements, data has 3/);
  assert.throws(() => writeSafetensors(file, [['w', { dtype: 'I32', shape: [1], data: new Float32Array(1) }]]), /does not match dtype I32/);
  assert.ok(!fs.existsSync(file) && !fs.existsSync(`${file}.partial`));
});
