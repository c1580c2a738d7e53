/**
 * All-or-nothing directory writes, for model folders and training checkpoints.
 *
 * The content is written into a hidden sibling `.<name>.partial-<pid>-<n>` and renamed to `<name>` only
 * after every file is written and fsynced. A crash or an exception therefore never leaves a folder under
 * the final name that looks complete but is not; at worst a `.partial-` sibling remains (hidden, and
 * never matched by `checkpoint-*` globs), which `removeStalePartials` can clean up.
 *
 * Replacing an existing folder: the old one is first renamed to `.<name>.old-<pid>-<n>`, the new one
 * renamed into place, then the old one deleted. Between the two renames (microseconds) the final name
 * is absent, never half-written.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PoetError } from '../util/errors.ts';

export const PARTIAL_MARK = '.partial-';
let counter = 0;

function siblingName(finalDir: string, kind: 'partial' | 'old'): string {
  counter += 1;
  return path.join(path.dirname(finalDir), `.${path.basename(finalDir)}.${kind}-${process.pid}-${Date.now()}-${counter}`);
}

/** fsync a directory so renames inside it survive a power cut (best effort: not all filesystems allow it). */
export function fsyncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some platforms/filesystems refuse fsync on directories; the rename is still atomic.
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

function prepare(finalDir: string): string {
  const abs = path.resolve(finalDir);
  const parent = path.dirname(abs);
  try {
    fs.mkdirSync(parent, { recursive: true });
  } catch (e) {
    throw new PoetError(`${parent}: cannot create output folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (fs.existsSync(abs) && !fs.statSync(abs).isDirectory()) {
    throw new PoetError(`${abs}: exists and is not a folder; refusing to replace it`);
  }
  const tmp = siblingName(abs, 'partial');
  fs.mkdirSync(tmp);
  return tmp;
}

function commit(tmp: string, finalDir: string): void {
  const abs = path.resolve(finalDir);
  fsyncDir(tmp);
  if (fs.existsSync(abs)) {
    const old = siblingName(abs, 'old');
    fs.renameSync(abs, old);
    fs.renameSync(tmp, abs);
    fsyncDir(path.dirname(abs));
    fs.rmSync(old, { recursive: true, force: true });
  } else {
    fs.renameSync(tmp, abs);
    fsyncDir(path.dirname(abs));
  }
}

function abandon(tmp: string): void {
  try {
    fs.rmSync(tmp, { recursive: true, force: true });
  } catch {
    // Leave it: its hidden .partial- name already marks it as incomplete.
  }
}

/** Run `write(tmpDir)` and publish tmpDir as `finalDir` only if it returns normally. */
export function writeDirAtomically<T>(finalDir: string, write: (tmpDir: string) => T): T {
  const tmp = prepare(finalDir);
  let result: T;
  try {
    result = write(tmp);
  } catch (e) {
    abandon(tmp);
    throw e;
  }
  commit(tmp, finalDir);
  return result;
}

/** Async variant of writeDirAtomically. */
export async function writeDirAtomicallyAsync<T>(finalDir: string, write: (tmpDir: string) => Promise<T>): Promise<T> {
  const tmp = prepare(finalDir);
  let result: T;
  try {
    result = await write(tmp);
  } catch (e) {
    abandon(tmp);
    throw e;
  }
  commit(tmp, finalDir);
  return result;
}

/** Write one file via `<file>.partial` + fsync + rename. */
export function writeFileAtomically(file: string, data: string | Uint8Array): void {
  const partial = `${file}.partial`;
  const fd = fs.openSync(partial, 'w');
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(partial, file);
}

/** Hidden `.partial-` / `.old-` leftovers of interrupted writes under `parent` (e.g. an output_dir). */
export function listStalePartials(parent: string): string[] {
  if (!fs.existsSync(parent)) return [];
  return fs
    .readdirSync(parent)
    .filter((n) => n.startsWith('.') && /\.(partial|old)-\d+-\d+-\d+$/.test(n))
    .map((n) => path.join(parent, n));
}

/** Delete leftovers of interrupted writes (only call when no other process writes into `parent`). */
export function removeStalePartials(parent: string): string[] {
  const found = listStalePartials(parent);
  for (const p of found) fs.rmSync(p, { recursive: true, force: true });
  return found;
}
