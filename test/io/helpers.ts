/** Shared helpers for test/io: temp folders and fixture paths. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'io');

const created: string[] = [];
process.on('exit', () => {
  for (const d of created) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh temporary folder, removed when the test process exits. */
export function tmpDir(prefix = 'poet-io-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(d);
  return d;
}

export function readFixtureJson<T = any>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as T;
}

/** fp32 bit patterns of a Float32Array. */
export function bitsOf(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

/** Build a safetensors file by hand (independent of src/io's writer): header object + data bytes. */
export function rawSafetensors(header: unknown, data: Uint8Array, opts: { headerLen?: number; headerText?: string } = {}): Uint8Array {
  const text = new TextEncoder().encode(opts.headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(opts.headerLen ?? text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}
