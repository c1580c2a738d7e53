/**
 * Resumable stages (docs/demo.md §3). A stage owns one folder and writes `DONE.json` last, holding the hash of
 * its inputs and a small JSON result. A rerun skips a stage whose marker holds the same hash (and returns the
 * stored result); otherwise the folder is emptied and the stage runs again. Inputs are hashed as canonical JSON
 * (sorted keys), so they should include everything the stage depends on: its parameters and the hashes of the
 * stages it reads.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Bumped when the demo's code changes what a stage produces, so old outputs are not reused. */
export const DEMO_STAGE_VERSION = 1;

export const MARKER_FILE = 'DONE.json';

export interface StageMarker<T = unknown> {
  stage: string;
  inputsHash: string;
  finishedAt: string;
  seconds: number;
  result: T;
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .filter((k) => o[k] !== undefined)
        .sort()
        .map((k) => [k, canonical(o[k])]),
    );
  }
  return v;
}

/** sha256 of the canonical JSON of `inputs` plus the stage version. */
export function hashInputs(inputs: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical({ v: DEMO_STAGE_VERSION, inputs })))
    .digest('hex');
}

export function readMarker<T>(dir: string): StageMarker<T> | null {
  const f = join(dir, MARKER_FILE);
  if (!existsSync(f)) return null;
  try {
    const m = JSON.parse(readFileSync(f, 'utf8')) as StageMarker<T>;
    return typeof m?.inputsHash === 'string' ? m : null;
  } catch {
    return null; // a damaged marker means "not done"
  }
}

export interface StageOutcome<T> {
  marker: StageMarker<T>;
  skipped: boolean;
}

export interface StageRunOptions {
  log?: (line: string) => void;
}

/**
 * Run `work(dir)` unless `dir/DONE.json` matches `inputs`. `work` returns the stage's JSON result, stored in
 * the marker; on a skip the stored result is returned instead.
 */
export async function runStage<T>(
  stage: string,
  dir: string,
  inputs: unknown,
  work: (dir: string) => Promise<T>,
  opts: StageRunOptions = {},
): Promise<StageOutcome<T>> {
  const inputsHash = hashInputs(inputs);
  const old = readMarker<T>(dir);
  if (old && old.inputsHash === inputsHash) {
    opts.log?.(`${stage}: done already (reused ${dir})`);
    return { marker: old, skipped: true };
  }
  if (existsSync(dir)) {
    opts.log?.(`${stage}: ${old ? 'inputs changed, redoing' : 'unfinished earlier, starting over'} (${dir})`);
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  const result = await work(dir);
  const marker: StageMarker<T> = {
    stage,
    inputsHash,
    finishedAt: new Date().toISOString(),
    seconds: (performance.now() - t0) / 1000,
    result,
  };
  const tmp = join(dir, `${MARKER_FILE}.tmp-${process.pid}`);
  writeFileSync(tmp, JSON.stringify(marker, null, 2) + '\n');
  renameSync(tmp, join(dir, MARKER_FILE));
  return { marker, skipped: false };
}
