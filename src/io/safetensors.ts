/**
 * The safetensors file format (https://github.com/huggingface/safetensors), read and written in-house.
 *
 * Layout: [8-byte little-endian u64 N][N bytes of JSON header][data section]. The header maps each
 * tensor name to {dtype, shape, data_offsets: [begin, end]} (byte offsets into the data section) and
 * may hold `__metadata__`: {string: string}. transformers requires `__metadata__.format` ∈ {pt, tf, flax,
 * mlx}; we write "pt". Data is raw little-endian, row-major. The reader enforces what the reference Rust
 * implementation enforces: known dtype, byte size = prod(shape)·itemsize, tensors tile the data section
 * exactly (contiguous from 0, no overlap, no hole, nothing after the last tensor).
 *
 * Floating tensors are exchanged as Float32Array: F16/BF16 are widened exactly on read and narrowed with
 * round-to-nearest-even on write (./float16.ts). Reads go tensor by tensor through a file descriptor, in
 * bounded chunks, so loading never holds more than the result plus one chunk.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { PoetError } from '../util/errors.ts';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from './float16.ts';

if (os.endianness() !== 'LE') {
  // Typed-array views below assume the host byte order equals the file's (little-endian).
  throw new Error('poet safetensors I/O needs a little-endian host');
}

export type StDtype = 'F32' | 'F16' | 'BF16' | 'I64' | 'I32';
export const ST_DTYPE_BYTES: Readonly<Record<StDtype, number>> = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4 };
export const FLOAT_ST_DTYPES: readonly StDtype[] = ['F32', 'F16', 'BF16'];

export function isStDtype(s: unknown): s is StDtype {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(ST_DTYPE_BYTES, s);
}

export interface StTensorInfo {
  dtype: StDtype;
  shape: number[];
  /** Byte offsets relative to the start of the data section. */
  begin: number;
  end: number;
}

export interface StHeader {
  path: string;
  tensors: Map<string, StTensorInfo>;
  metadata: Record<string, string> | null;
  /** Absolute file offset of the data section (8 + header length). */
  dataStart: number;
  fileSize: number;
}

export type TensorData = Float32Array | Int32Array | BigInt64Array;

export interface TensorToWrite {
  /** F32/F16/BF16 take a Float32Array (narrowed on write); I32 an Int32Array; I64 a BigInt64Array. */
  dtype: StDtype;
  shape: number[];
  data: TensorData;
}

/** Largest header accepted (the reference implementation's limit). */
const MAX_HEADER_BYTES = 100_000_000;
/** Elements converted per chunk when reading/writing 16-bit floats. */
const CHUNK_ELEMS = 1 << 20;

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function fail(path: string, problem: string): never {
  throw new PoetError(`${path}: not a valid safetensors file: ${problem}`);
}

function readExactly(fd: number, target: Uint8Array, position: number, path: string, what: string): void {
  let done = 0;
  while (done < target.length) {
    const n = fs.readSync(fd, target, done, target.length - done, position + done);
    if (n === 0) fail(path, `unexpected end of file while reading ${what}`);
    done += n;
  }
}

function describe(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Parse and validate the header of an open file. */
function readHeaderFd(fd: number, path: string): StHeader {
  const fileSize = fs.fstatSync(fd).size;
  if (fileSize < 8) fail(path, `file is ${fileSize} bytes, shorter than the 8-byte header length`);
  const lenBuf = new Uint8Array(8);
  readExactly(fd, lenBuf, 0, path, 'the header length');
  const n = new DataView(lenBuf.buffer).getBigUint64(0, true);
  if (n > BigInt(fileSize - 8)) fail(path, `header length ${n} exceeds the ${fileSize - 8} bytes after the length field`);
  if (n > BigInt(MAX_HEADER_BYTES)) fail(path, `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const headerLen = Number(n);
  if (headerLen < 2) fail(path, `header length ${headerLen} is too small for a JSON object`);
  const hb = new Uint8Array(headerLen);
  readExactly(fd, hb, 8, path, 'the header');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(hb);
  } catch {
    fail(path, 'header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(path, `header is not valid JSON (cut or corrupt): ${(e as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail(path, 'header JSON is not an object');

  const dataStart = 8 + headerLen;
  const dataLen = fileSize - dataStart;
  const tensors = new Map<string, StTensorInfo>();
  let metadata: Record<string, string> | null = null;
  for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, '__metadata__ is not an object');
      for (const [k, mv] of Object.entries(v)) {
        if (typeof mv !== 'string') fail(path, `__metadata__.${k} is ${describe(mv)}, expected a string`);
      }
      metadata = v as Record<string, string>;
      continue;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, `tensor "${name}": entry is not an object`);
    const e = v as Record<string, unknown>;
    if (!isStDtype(e.dtype)) {
      fail(path, `tensor "${name}": unsupported dtype ${describe(e.dtype)} (supported: ${Object.keys(ST_DTYPE_BYTES).join(', ')})`);
    }
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(path, `tensor "${name}": shape ${describe(shape)} is not a list of non-negative integers`);
    }
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(path, `tensor "${name}": data_offsets ${describe(offs)} is not a pair of non-negative integers`);
    }
    const [begin, end] = offs as [number, number];
    if (end < begin) fail(path, `tensor "${name}": data_offsets [${begin}, ${end}] end before begin`);
    const expectBytes = numel(shape as number[]) * ST_DTYPE_BYTES[e.dtype];
    if (end - begin !== expectBytes) {
      fail(
        path,
        `tensor "${name}": data_offsets [${begin}, ${end}] span ${end - begin} bytes, but ${e.dtype} shape [${(shape as number[]).join(', ')}] needs ${expectBytes}`,
      );
    }
    if (end > dataLen) {
      fail(path, `tensor "${name}": data_offsets [${begin}, ${end}] go past the end of the data section (${dataLen} bytes; file truncated?)`);
    }
    tensors.set(name, { dtype: e.dtype, shape: [...(shape as number[])], begin, end });
  }

  // The tensors must tile the data section exactly, as the reference implementation requires.
  const sorted = [...tensors.entries()].sort((a, b) => a[1].begin - b[1].begin || a[1].end - b[1].end);
  let cursor = 0;
  for (const [name, t] of sorted) {
    if (t.begin !== cursor) {
      fail(
        path,
        t.begin < cursor
          ? `tensor "${name}": data_offsets [${t.begin}, ${t.end}] overlap the previous tensor (which ends at ${cursor})`
          : `tensor "${name}": data_offsets [${t.begin}, ${t.end}] leave a gap after byte ${cursor} of the data section`,
      );
    }
    cursor = t.end;
  }
  if (cursor !== dataLen) {
    fail(path, `the header declares ${cursor} bytes of tensor data but the data section holds ${dataLen}`);
  }
  return { path, tensors, metadata, dataStart, fileSize };
}

export function readSafetensorsHeader(path: string): StHeader {
  const fd = openForRead(path);
  try {
    return readHeaderFd(fd, path);
  } finally {
    fs.closeSync(fd);
  }
}

function openForRead(path: string): number {
  try {
    return fs.openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new PoetError(`${path}: cannot open safetensors file (${code ?? (e as Error).message})`);
  }
}

/** Random access to the tensors of one file; keep it open only as long as needed and `close()` it. */
export class SafetensorsReader {
  readonly header: StHeader;
  private fd: number | null;

  private constructor(fd: number, header: StHeader) {
    this.fd = fd;
    this.header = header;
  }

  static open(path: string): SafetensorsReader {
    const fd = openForRead(path);
    try {
      return new SafetensorsReader(fd, readHeaderFd(fd, path));
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  get path(): string {
    return this.header.path;
  }

  names(): string[] {
    return [...this.header.tensors.keys()];
  }

  info(name: string): StTensorInfo {
    const t = this.header.tensors.get(name);
    if (t === undefined) throw new PoetError(`${this.path}: no tensor named "${name}"`);
    return t;
  }

  private readInto(t: StTensorInfo, target: Uint8Array, byteOffsetInTensor: number): void {
    if (this.fd === null) throw new Error(`${this.path}: reader already closed`);
    readExactly(this.fd, target, this.header.dataStart + t.begin + byteOffsetInTensor, this.path, 'tensor data');
  }

  /** A floating tensor (F32/F16/BF16) as fp32. Integer tensors are refused. */
  readFloat32(name: string, out?: Float32Array): Float32Array {
    const t = this.info(name);
    const n = numel(t.shape);
    if (out !== undefined && out.length !== n) {
      throw new Error(`${this.path}: tensor "${name}" has ${n} elements, output buffer ${out.length}`);
    }
    const result = out ?? new Float32Array(n);
    if (t.dtype === 'F32') {
      this.readInto(t, new Uint8Array(result.buffer, result.byteOffset, n * 4), 0);
    } else if (t.dtype === 'BF16' || t.dtype === 'F16') {
      const widen = t.dtype === 'BF16' ? bf16ToF32 : f16ToF32;
      const scratch = new Uint16Array(Math.min(n, CHUNK_ELEMS));
      for (let i = 0; i < n; i += CHUNK_ELEMS) {
        const m = Math.min(CHUNK_ELEMS, n - i);
        const chunk = scratch.subarray(0, m);
        this.readInto(t, new Uint8Array(chunk.buffer, 0, m * 2), i * 2);
        widen(chunk, result.subarray(i, i + m));
      }
    } else {
      throw new PoetError(`${this.path}: tensor "${name}" has dtype ${t.dtype}, expected a floating dtype (F32, F16, BF16)`);
    }
    return result;
  }

  /** An integer tensor (I32 → Int32Array, I64 → BigInt64Array). */
  readInt(name: string): Int32Array | BigInt64Array {
    const t = this.info(name);
    const n = numel(t.shape);
    if (t.dtype === 'I32') {
      const r = new Int32Array(n);
      this.readInto(t, new Uint8Array(r.buffer), 0);
      return r;
    }
    if (t.dtype === 'I64') {
      const r = new BigInt64Array(n);
      this.readInto(t, new Uint8Array(r.buffer), 0);
      return r;
    }
    throw new PoetError(`${this.path}: tensor "${name}" has dtype ${t.dtype}, expected an integer dtype (I32, I64)`);
  }

  /** The raw stored bytes of a tensor (for bit-exact comparisons). */
  readRaw(name: string): Uint8Array {
    const t = this.info(name);
    const r = new Uint8Array(t.end - t.begin);
    this.readInto(t, r, 0);
    return r;
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}

/** Read every tensor of a file: floats as Float32Array, integers as Int32Array/BigInt64Array. */
export function readSafetensors(path: string): { tensors: Map<string, { dtype: StDtype; shape: number[]; data: TensorData }>; metadata: Record<string, string> | null } {
  const r = SafetensorsReader.open(path);
  try {
    const tensors = new Map<string, { dtype: StDtype; shape: number[]; data: TensorData }>();
    for (const [name, t] of r.header.tensors) {
      const data = FLOAT_ST_DTYPES.includes(t.dtype) ? r.readFloat32(name) : r.readInt(name);
      tensors.set(name, { dtype: t.dtype, shape: [...t.shape], data });
    }
    return { tensors, metadata: r.header.metadata };
  } finally {
    r.close();
  }
}

/** Byte size a tensor will occupy in the file. */
export function storedBytes(dtype: StDtype, shape: readonly number[]): number {
  return numel(shape) * ST_DTYPE_BYTES[dtype];
}

function checkWritable(path: string, name: string, t: TensorToWrite): void {
  if (!isStDtype(t.dtype)) throw new PoetError(`${path}: tensor "${name}": cannot write dtype ${describe(t.dtype)}`);
  const n = numel(t.shape);
  const okType =
    t.dtype === 'I32' ? t.data instanceof Int32Array : t.dtype === 'I64' ? t.data instanceof BigInt64Array : t.data instanceof Float32Array;
  if (!okType) throw new PoetError(`${path}: tensor "${name}": data array type does not match dtype ${t.dtype}`);
  if (t.data.length !== n) {
    throw new PoetError(`${path}: tensor "${name}": shape [${t.shape.join(', ')}] needs ${n} elements, data has ${t.data.length}`);
  }
}

/**
 * Serialise the header: JSON padded with spaces so the data section starts at a multiple of 8 bytes
 * (what the reference writer does; readers may then map tensors in place).
 */
function encodeHeader(entries: [string, TensorToWrite][], metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of entries) {
    const bytes = storedBytes(t.dtype, t.shape);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil((8 + json.length) / 8) * 8 - 8;
  const out = new Uint8Array(8 + padded).fill(0x20);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  return out;
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done);
}

/**
 * Write a safetensors file (via `<path>.partial` + rename, so a crash never leaves a truncated file
 * under the final name). Tensors are written in the given order; `format: "pt"` is always in the
 * metadata. Returns the number of tensor-data bytes written.
 */
export function writeSafetensors(
  path: string,
  tensors: Map<string, TensorToWrite> | [string, TensorToWrite][],
  metadata: Record<string, string> = {},
): number {
  const entries = tensors instanceof Map ? [...tensors.entries()] : tensors;
  const seen = new Set<string>();
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new PoetError(`${path}: "__metadata__" is reserved and cannot name a tensor`);
    if (seen.has(name)) throw new PoetError(`${path}: tensor "${name}" given twice`);
    seen.add(name);
    checkWritable(path, name, t);
  }
  const partial = `${path}.partial`;
  const fd = fs.openSync(partial, 'w');
  let total = 0;
  try {
    writeAll(fd, encodeHeader(entries, { format: 'pt', ...metadata }));
    for (const [, t] of entries) {
      if (t.dtype === 'F16' || t.dtype === 'BF16') {
        const narrow = t.dtype === 'BF16' ? f32ToBf16 : f32ToF16;
        const src = t.data as Float32Array;
        const scratch = new Uint16Array(Math.min(src.length, CHUNK_ELEMS));
        for (let i = 0; i < src.length; i += CHUNK_ELEMS) {
          const m = Math.min(CHUNK_ELEMS, src.length - i);
          const chunk = narrow(src.subarray(i, i + m), scratch.subarray(0, m));
          writeAll(fd, new Uint8Array(chunk.buffer, 0, m * 2));
        }
      } else {
        writeAll(fd, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      }
      total += storedBytes(t.dtype, t.shape);
    }
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(partial, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  fs.renameSync(partial, path);
  return total;
}
