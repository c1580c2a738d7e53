/**
 * Reading local dataset files (spec §3.1): JSONL, JSON (one array) and Parquet, and finding the file(s)
 * of a named split. Rows come out as plain objects restricted to the columns the original keeps
 * (`messages, chosen, rejected, prompt, completion, label`); everything else is dropped on read.
 *
 * Problems with a single row (bad JSON, invalid UTF-8, not an object) are yielded as `{ error }` so the
 * caller can either stop (default) or skip and count the row (`skip_invalid_rows`). Problems with the
 * whole file (missing, unreadable, empty, truncated Parquet) always throw a PoetError.
 */
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import type { FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { PoetError } from '../util/errors.ts';
import type { RowLocation } from './types.ts';

/** Columns the original keeps (alignment/data.py `columns_to_keep`); all others are dropped. */
export const KEPT_COLUMNS = ['messages', 'chosen', 'rejected', 'prompt', 'completion', 'label'] as const;

export const DATA_EXTENSIONS = ['.jsonl', '.json', '.parquet'] as const;

export type RawRecord = Partial<Record<(typeof KEPT_COLUMNS)[number], unknown>>;

export type RecordOrError = { loc: RowLocation; record: RawRecord } | { loc: RowLocation; error: string };

function isDataFile(name: string): boolean {
  return (DATA_EXTENSIONS as readonly string[]).includes(extname(name).toLowerCase());
}

/**
 * The files holding split `split` of dataset `path`. Accepted layouts, first match wins:
 *  - `path` is a file: it is the single split "train" (as HF `load_dataset` names a lone data file);
 *  - `<path>/<split>.{jsonl,json,parquet}`            e.g. `uf/train_prefs.jsonl`
 *  - `<path>/<split>/*.{jsonl,json,parquet}`          (sorted by name)
 *  - `<path>/data/<split>-*.{jsonl,json,parquet}`     the Hugging Face Hub snapshot layout (sorted)
 */
export function resolveSplitFiles(path: string, split: string): string[] {
  if (!existsSync(path)) {
    throw new PoetError(`dataset ${path}: no such file or folder (dataset_mixer names local paths; hub downloads are not supported)`);
  }
  const st = statSync(path);
  if (st.isFile()) {
    if (!isDataFile(path)) throw new PoetError(`dataset ${path}: expected a .jsonl, .json or .parquet file`);
    if (split !== 'train') {
      throw new PoetError(
        `dataset ${path}: a single file is one split named "train", but split "${split}" was requested; ` +
          `put one file per split in a folder (e.g. ${join(path.replace(/\.[^.]+$/, ''), `${split}.jsonl`)})`,
      );
    }
    return [path];
  }
  for (const ext of DATA_EXTENSIONS) {
    const f = join(path, `${split}${ext}`);
    if (existsSync(f) && statSync(f).isFile()) return [f];
  }
  const sub = join(path, split);
  if (existsSync(sub) && statSync(sub).isDirectory()) {
    const files = readdirSync(sub).filter(isDataFile).sort().map((f) => join(sub, f));
    if (files.length > 0) return files;
  }
  const hub = join(path, 'data');
  if (existsSync(hub) && statSync(hub).isDirectory()) {
    const files = readdirSync(hub)
      .filter((f) => isDataFile(f) && f.startsWith(`${split}-`))
      .sort()
      .map((f) => join(hub, f));
    if (files.length > 0) return files;
  }
  const present = readdirSync(path).filter(isDataFile);
  throw new PoetError(
    `dataset ${path}: no file for split "${split}" (looked for ${split}.jsonl|.json|.parquet, ${split}/*, data/${split}-*); ` +
      `found: ${present.length > 0 ? present.join(', ') : 'no data files'}`,
  );
}

function keepColumns(obj: Record<string, unknown>): RawRecord {
  const out: RawRecord = {};
  for (const k of KEPT_COLUMNS) if (k in obj) out[k] = obj[k];
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Number of rows in a data file, without materialising them (JSONL: non-blank lines). */
export async function countRecords(file: string): Promise<number> {
  const ext = extname(file).toLowerCase();
  if (ext === '.parquet') return Number((await parquetMeta(file)).num_rows);
  if (ext === '.json') return (await readJsonArray(file)).length;
  let n = 0;
  let blank = true;
  for await (const chunk of openStream(file)) {
    const buf = chunk as Buffer;
    for (let i = 0; i < buf.length; i++) {
      const b = buf[i]!;
      if (b === 0x0a) {
        if (!blank) n++;
        blank = true;
      } else if (b !== 0x20 && b !== 0x09 && b !== 0x0d) blank = false;
    }
  }
  if (!blank) n++;
  return n;
}

function openStream(file: string) {
  const s = createReadStream(file, { highWaterMark: 1 << 20 });
  return s;
}

/**
 * Yields the first `limit` rows (all when undefined) of one file, in order.
 * Throws PoetError for file-level problems; yields `{ error }` for row-level ones.
 */
export async function* readRecords(file: string, limit = Infinity): AsyncGenerator<RecordOrError> {
  const ext = extname(file).toLowerCase();
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new PoetError(`cannot read ${file}: ${(e as Error).message}`);
  }
  if (size === 0) throw new PoetError(`${file}: the file is empty (expected rows)`);
  if (ext === '.jsonl') yield* readJsonl(file, limit);
  else if (ext === '.json') yield* readJson(file, limit);
  else if (ext === '.parquet') yield* readParquet(file, limit);
  else throw new PoetError(`${file}: unsupported extension "${ext}" (expected .jsonl, .json or .parquet)`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** JSONL, streamed: lines are split on raw bytes so invalid UTF-8 is caught per line (fatal decoder). */
async function* readJsonl(file: string, limit: number): AsyncGenerator<RecordOrError> {
  let row = 0;
  let line = 0;
  let pending: Buffer[] = [];
  const emit = (bytes: Buffer): RecordOrError | null => {
    line++;
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      return { loc: { file, row: row++, line }, error: 'invalid UTF-8 in this line' };
    }
    if (text.trim() === '') return null;
    const loc = { file, row: row++, line };
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (e) {
      return { loc, error: `not valid JSON (${(e as Error).message})` };
    }
    if (!isPlainObject(obj)) return { loc, error: `expected a JSON object, found ${describeJson(obj)}` };
    return { loc, record: keepColumns(obj) };
  };
  try {
    for await (const chunk of openStream(file)) {
      const buf = chunk as Buffer;
      let start = 0;
      for (let i = buf.indexOf(0x0a, start); i !== -1; i = buf.indexOf(0x0a, start)) {
        pending.push(buf.subarray(start, i));
        const out = emit(pending.length === 1 ? pending[0]! : Buffer.concat(pending));
        pending = [];
        start = i + 1;
        if (out) {
          yield out;
          if (row >= limit) return;
        }
      }
      if (start < buf.length) pending.push(buf.subarray(start));
    }
  } catch (e) {
    if (e instanceof PoetError) throw e;
    throw new PoetError(`cannot read ${file}: ${(e as Error).message}`);
  }
  if (pending.length > 0) {
    const out = emit(Buffer.concat(pending));
    if (out) yield out;
  }
  if (row === 0) throw new PoetError(`${file}: the file has no rows (only blank lines)`);
}

function describeJson(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? 'a string' : `a ${typeof v}`;
}

async function readJsonArray(file: string): Promise<unknown[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new PoetError(`cannot read ${file}: ${(e as Error).message}`);
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new PoetError(`${file}: invalid UTF-8 (a .json file is decoded as a whole; use JSONL to locate and skip bad rows)`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new PoetError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(data)) throw new PoetError(`${file}: expected a JSON array of row objects, found ${describeJson(data)}`);
  if (data.length === 0) throw new PoetError(`${file}: the array is empty (expected rows)`);
  return data;
}

async function* readJson(file: string, limit: number): AsyncGenerator<RecordOrError> {
  const data = await readJsonArray(file);
  const n = Math.min(limit, data.length);
  for (let row = 0; row < n; row++) {
    const obj = data[row];
    const loc = { file, row };
    if (!isPlainObject(obj)) yield { loc, error: `expected a JSON object, found ${describeJson(obj)}` };
    else yield { loc, record: keepColumns(obj) };
  }
}

async function parquetMeta(file: string): Promise<FileMetaData> {
  try {
    const buf = await asyncBufferFromFile(file);
    return await parquetMetadataAsync(buf);
  } catch (e) {
    throw new PoetError(`${file}: not a readable Parquet file (${(e as Error).message})`);
  }
}

/** Parquet, one row group at a time (bounded memory), reading only the kept columns. */
async function* readParquet(file: string, limit: number): AsyncGenerator<RecordOrError> {
  const buf = await asyncBufferFromFile(file).catch((e: Error) => {
    throw new PoetError(`cannot read ${file}: ${e.message}`);
  });
  const metadata = await parquetMeta(file);
  const present = new Set(metadata.schema.slice(1).map((s) => s.name));
  const columns = KEPT_COLUMNS.filter((c) => present.has(c));
  if (columns.length === 0) {
    throw new PoetError(`${file}: none of the columns ${KEPT_COLUMNS.join(', ')} is present (found ${[...present].join(', ')})`);
  }
  const total = Number(metadata.num_rows);
  if (total === 0) throw new PoetError(`${file}: the Parquet file has no rows`);
  let rowStart = 0;
  for (let g = 0; g < metadata.row_groups.length && rowStart < Math.min(total, limit); g++) {
    const groupRows = Number(metadata.row_groups[g]!.num_rows);
    const rowEnd = Math.min(rowStart + groupRows, limit);
    let rows: Record<string, unknown>[];
    try {
      rows = await parquetReadObjects({ file: buf, metadata, columns: [...columns], rowStart, rowEnd, compressors });
    } catch (e) {
      throw new PoetError(`${file}: cannot decode row group ${g} (rows ${rowStart}..${rowEnd - 1}): ${(e as Error).message}`);
    }
    for (let i = 0; i < rows.length; i++) yield { loc: { file, row: rowStart + i }, record: keepColumns(rows[i]!) };
    rowStart += groupRows;
  }
}

/** Short display name of a dataset path for summaries. */
export function datasetName(path: string): string {
  return basename(path);
}
