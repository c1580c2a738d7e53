/**
 * Annotation cache: judge verdicts keyed by the judge's cache key (judge model + mode + a hash of the exact
 * prompt), kept in one JSON file in the output folder so that a re-run or a resumed run never pays twice.
 * Written after every new verdict, atomically (write a temporary file, then rename over the old one), so a
 * crash or Ctrl-C leaves either the old or the new complete file.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { PoetError } from '../../util/errors.ts';
import type { JudgeVerdict } from './types.ts';

interface CacheFile {
  format: 'poet-annotation-cache-v1';
  entries: Record<string, { preference: number | null; raw?: unknown }>;
}

export class AnnotationCache {
  readonly file: string;
  private data: CacheFile;

  constructor(file: string) {
    this.file = file;
    this.data = { format: 'poet-annotation-cache-v1', entries: {} };
    if (!existsSync(file)) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new PoetError(`${file}: the annotation cache is not valid JSON (${(e as Error).message}); delete it to start over`);
    }
    const p = parsed as Partial<CacheFile> | null;
    if (!p || p.format !== 'poet-annotation-cache-v1' || typeof p.entries !== 'object' || p.entries === null) {
      throw new PoetError(`${file}: not a poet annotation cache (expected format "poet-annotation-cache-v1")`);
    }
    this.data = p as CacheFile;
  }

  get size(): number {
    return Object.keys(this.data.entries).length;
  }

  get(key: string): JudgeVerdict | undefined {
    const e = this.data.entries[key];
    if (!e) return undefined;
    return { preference: e.preference === null ? NaN : e.preference, raw: e.raw };
  }

  /** Store a verdict and persist the whole cache atomically. NaN (unparsable answer) is stored as null. */
  set(key: string, verdict: JudgeVerdict): void {
    this.data.entries[key] = {
      preference: Number.isNaN(verdict.preference) ? null : verdict.preference,
      raw: verdict.raw,
    };
    const tmp = `${this.file}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(this.data));
    renameSync(tmp, this.file);
  }
}
