/**
 * Tokenized-dataset cache. Tokenizing 60k pairs takes minutes; loading them back takes well under a
 * second, so a restart with unchanged inputs never re-tokenizes.
 *
 * Key = SHA-256 over (JSON, fixed order):
 *  - the SHA-256 of every data file's CONTENT (not size/mtime: an edit that keeps the size and time, or a
 *    copy, must not be confused; hashing 240 MB costs ~0.5 s), with its split;
 *  - the contents of tokenizer.json, tokenizer_config.json and special_tokens_map.json;
 *  - the effective chat template string and every option that changes a token (lengths, truncation mode,
 *    trainer kind, system-message rule, skip_invalid_rows, mixer fractions and splits, shuffle seed);
 *  - the code version: the text of every src/data and src/tokenizer module plus the
 *    @huggingface/tokenizers version, so any code change invalidates old entries.
 *
 * File `<dir>/<key>.poetdata`: 8-byte magic "POETDAT1", u32 LE header length, UTF-8 JSON header
 * (summary, per-split counts), zero padding to a multiple of 4, then per split (train, test): an Int32
 * table [n, 5] of (chosen length, chosen prompt length, rejected length, rejected prompt length,
 * truncation flags) and all ids concatenated (chosen then rejected per pair). Pairs are loaded as
 * views into one buffer, no copy. Writes go to a temp file renamed into place (atomic).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TokenizedPair } from './types.ts';

const MAGIC = 'POETDAT1';

export function defaultCacheDir(outputDir?: string | null): string {
  if (outputDir) return join(outputDir, '.poet-data-cache');
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'poet', 'data');
}

export async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 22 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

let codeVersionMemo: string | null = null;

/** Hash of the pipeline's own source and the tokenizer library version. */
export function codeVersion(): string {
  if (codeVersionMemo) return codeVersionMemo;
  const h = createHash('sha256');
  const here = dirname(fileURLToPath(import.meta.url));
  for (const dir of [here, join(here, '..', 'tokenizer')]) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts')).sort()) {
      h.update(f);
      h.update(readFileSync(join(dir, f)));
    }
  }
  try {
    const pkg = fileURLToPath(new URL('../../node_modules/@huggingface/tokenizers/package.json', import.meta.url));
    h.update((JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version);
  } catch {
    // Not fatal: the key then only misses the library version.
  }
  codeVersionMemo = h.digest('hex');
  return codeVersionMemo;
}

export async function tokenizerFilesHash(dir: string): Promise<string> {
  const h = createHash('sha256');
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
    const p = join(dir, f);
    h.update(f);
    h.update(existsSync(p) ? await hashFile(p) : 'absent');
  }
  return h.digest('hex');
}

export function cacheKey(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}

export interface CachedSplits<S> {
  train: TokenizedPair[];
  test: TokenizedPair[];
  summary: S;
}

const FIELDS = 5;

function packSplit(pairs: TokenizedPair[]): { table: Int32Array; ids: Int32Array } {
  const table = new Int32Array(pairs.length * FIELDS);
  let total = 0;
  pairs.forEach((p, i) => {
    table.set([p.chosenIds.length, p.chosenPromptLen, p.rejectedIds.length, p.rejectedPromptLen, p.truncation], i * FIELDS);
    total += p.chosenIds.length + p.rejectedIds.length;
  });
  const ids = new Int32Array(total);
  let o = 0;
  for (const p of pairs) {
    ids.set(p.chosenIds, o);
    o += p.chosenIds.length;
    ids.set(p.rejectedIds, o);
    o += p.rejectedIds.length;
  }
  return { table, ids };
}

export function writeCache<S>(file: string, data: CachedSplits<S>): void {
  mkdirSync(dirname(file), { recursive: true });
  const train = packSplit(data.train);
  const test = packSplit(data.test);
  const header = Buffer.from(
    JSON.stringify({
      summary: data.summary,
      splits: {
        train: { pairs: data.train.length, ids: train.ids.length },
        test: { pairs: data.test.length, ids: test.ids.length },
      },
    }),
  );
  const headLen = 8 + 4 + header.length;
  const pad = (4 - (headLen % 4)) % 4;
  const u32 = Buffer.alloc(4);
  u32.writeUInt32LE(header.length + pad);
  const parts: Uint8Array[] = [Buffer.from(MAGIC), u32, header, Buffer.from(' '.repeat(pad))];
  for (const s of [train, test]) {
    parts.push(new Uint8Array(s.table.buffer, s.table.byteOffset, s.table.byteLength));
    parts.push(new Uint8Array(s.ids.buffer, s.ids.byteOffset, s.ids.byteLength));
  }
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, Buffer.concat(parts));
  renameSync(tmp, file);
}

/** The cached splits, or null when the file is absent or unreadable (then it is simply rebuilt). */
export function readCache<S>(file: string): CachedSplits<S> | null {
  if (!existsSync(file)) return null;
  try {
    const buf = readFileSync(file);
    if (buf.subarray(0, 8).toString() !== MAGIC) return null;
    const headerLen = buf.readUInt32LE(8);
    const head = JSON.parse(buf.subarray(12, 12 + headerLen).toString()) as {
      summary: S;
      splits: Record<'train' | 'test', { pairs: number; ids: number }>;
    };
    // Copy the body into an aligned buffer once; pairs are views into it.
    const body = new Int32Array(buf.buffer.slice(buf.byteOffset + 12 + headerLen, buf.byteOffset + buf.length));
    let o = 0;
    const readSplit = (s: { pairs: number; ids: number }): TokenizedPair[] => {
      const table = body.subarray(o, o + s.pairs * FIELDS);
      o += s.pairs * FIELDS;
      const ids = body.subarray(o, o + s.ids);
      o += s.ids;
      const out: TokenizedPair[] = new Array(s.pairs);
      let p = 0;
      for (let i = 0; i < s.pairs; i++) {
        const cl = table[i * FIELDS]!;
        const rl = table[i * FIELDS + 2]!;
        out[i] = {
          chosenIds: ids.subarray(p, p + cl),
          chosenPromptLen: table[i * FIELDS + 1]!,
          rejectedIds: ids.subarray(p + cl, p + cl + rl),
          rejectedPromptLen: table[i * FIELDS + 3]!,
          truncation: table[i * FIELDS + 4]!,
        };
        p += cl + rl;
      }
      if (p !== s.ids) throw new Error('cache table and ids disagree');
      return out;
    };
    const train = readSplit(head.splits.train);
    const test = readSplit(head.splits.test);
    if (o !== body.length) return null;
    return { train, test, summary: head.summary };
  } catch {
    return null;
  }
}
