/** Reader for the reference fixtures written by scripts/make_fixtures.py (format documented there). */
import { readFileSync } from 'node:fs';
import type { ModelConfig } from '../../src/models/config.ts';

export interface Fixture {
  meta: { name: string; config: ModelConfig; batch: number; seq_len: number };
  f32(name: string): Float32Array;
  i32(name: string): Int32Array;
  names(): string[];
}

export function readFixture(path: string): Fixture {
  const buf = readFileSync(path);
  if (buf.subarray(0, 8).toString('latin1') !== 'POETFIX\0') throw new Error(`${path}: not a POETFIX file`);
  const version = buf.readUInt32LE(8);
  if (version !== 1) throw new Error(`${path}: fixture format version ${version}, this reader knows 1 — rerun scripts/make_fixtures.py`);
  const hlen = buf.readUInt32LE(12);
  const header = JSON.parse(buf.subarray(16, 16 + hlen).toString('utf8'));
  const dataStart = 16 + hlen;
  const get = (name: string, dtype: string): ArrayBuffer => {
    const e = header.tensors[name];
    if (!e) throw new Error(`${path}: no tensor '${name}'`);
    if (e.dtype !== dtype) throw new Error(`${path}: tensor '${name}' is ${e.dtype}, not ${dtype}`);
    const n = (e.shape as number[]).reduce((a, b) => a * b, 1);
    const start = dataStart + e.offset;
    // copy into a fresh aligned buffer (the model uses weights in place)
    return buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + start + n * 4) as ArrayBuffer;
  };
  return {
    meta: header.meta,
    f32: (name) => new Float32Array(get(name, 'f32')),
    i32: (name) => new Int32Array(get(name, 'i32')),
    names: () => Object.keys(header.tensors),
  };
}
