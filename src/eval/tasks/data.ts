/**
 * Local task data: `<data_dir>/<dataset>/` holds one file per split, in the public datasets' own schemas.
 * Accepted layouts for split S (first match wins): `S.jsonl|.json|.parquet`, `S/*.{jsonl,json,parquet}`,
 * `S-*.{...}` (the Hugging Face Hub parquet naming, e.g. `test-00000-of-00001.parquet`), `data/S-*.{...}`.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { PoetError } from '../../util/errors.ts';
import type { Doc } from './types.ts';

const EXTS = ['.jsonl', '.json', '.parquet'];
const isData = (f: string) => EXTS.includes(extname(f).toLowerCase());

/** Files of split `split` in `dir`, or null when there are none. */
export function findSplitFiles(dir: string, split: string): string[] | null {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return null;
  for (const ext of EXTS) {
    const f = join(dir, `${split}${ext}`);
    if (existsSync(f) && statSync(f).isFile()) return [f];
  }
  const sub = join(dir, split);
  if (existsSync(sub) && statSync(sub).isDirectory()) {
    const files = readdirSync(sub).filter(isData).sort().map((f) => join(sub, f));
    if (files.length > 0) return files;
  }
  for (const base of [dir, join(dir, 'data')]) {
    if (!existsSync(base) || !statSync(base).isDirectory()) continue;
    const files = readdirSync(base)
      .filter((f) => isData(f) && f.startsWith(`${split}-`))
      .sort()
      .map((f) => join(base, f));
    if (files.length > 0) return files;
  }
  return null;
}

export interface LoadedRow {
  doc: Doc;
  /** "file:line N" or "file:row N", for error messages */
  where: string;
}

async function readFileRows(file: string): Promise<LoadedRow[]> {
  const ext = extname(file).toLowerCase();
  if (ext === '.parquet') {
    let rows: Record<string, unknown>[];
    try {
      rows = (await parquetReadObjects({ file: await asyncBufferFromFile(file), compressors })) as Record<string, unknown>[];
    } catch (e) {
      throw new PoetError(`${file}: cannot read the Parquet file (${(e as Error).message})`);
    }
    return rows.map((doc, i) => ({ doc: normaliseBigInts(doc) as Doc, where: `${file}: row ${i}` }));
  }
  const text = readFileSync(file, 'utf8');
  if (ext === '.json') {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw new PoetError(`${file}: not valid JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(data)) throw new PoetError(`${file}: expected a JSON array of rows`);
    return data.map((doc, i) => {
      if (!isObject(doc)) throw new PoetError(`${file}: index ${i}: expected an object`);
      return { doc, where: `${file}: index ${i}` };
    });
  }
  const out: LoadedRow[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let doc: unknown;
    try {
      doc = JSON.parse(line);
    } catch (e) {
      throw new PoetError(`${file}: line ${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    if (!isObject(doc)) throw new PoetError(`${file}: line ${i + 1}: expected a JSON object`);
    out.push({ doc, where: `${file}: line ${i + 1}` });
  });
  return out;
}

function isObject(v: unknown): v is Doc {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parquet int64 columns come back as BigInt; the task code wants plain numbers. */
function normaliseBigInts(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(normaliseBigInts);
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normaliseBigInts(x)]));
  return v;
}

/** All rows of a split, in file order. */
export async function loadSplit(dir: string, split: string): Promise<LoadedRow[] | null> {
  const files = findSplitFiles(dir, split);
  if (!files) return null;
  const rows: LoadedRow[] = [];
  for (const f of files) rows.push(...(await readFileRows(f)));
  return rows;
}

// Field checks used by the task definitions: every message names the row and the field.

export function str(doc: Doc, field: string, where: string): string {
  const v = doc[field];
  if (typeof v !== 'string') throw new PoetError(`${where}: field "${field}" must be a string, found ${describe(v)}`);
  return v;
}

export function strArray(doc: Doc, field: string, where: string, minLen = 1): string[] {
  const v = doc[field];
  if (!Array.isArray(v) || v.length < minLen || !v.every((x) => typeof x === 'string')) {
    throw new PoetError(`${where}: field "${field}" must be a list of at least ${minLen} strings, found ${describe(v)}`);
  }
  return v as string[];
}

export function obj(doc: Doc, field: string, where: string): Doc {
  const v = doc[field];
  if (!isObject(v)) throw new PoetError(`${where}: field "${field}" must be an object, found ${describe(v)}`);
  return v;
}

export function describe(v: unknown): string {
  if (v === undefined) return 'nothing (missing)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v)}`;
  return `${typeof v} ${JSON.stringify(v)}`;
}
