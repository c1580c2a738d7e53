/**
 * Weights of a model folder as transformers lays them out: either one `model.safetensors`, or shards
 * `model-0000N-of-0000M.safetensors` plus `model.safetensors.index.json` =
 * `{"metadata": {"total_size": <tensor bytes>}, "weight_map": {"<tensor>": "<shard file>"}}`.
 *
 * Sharding follows transformers' `shard_checkpoint`: tensors in order, a new shard starts when adding
 * the next tensor would pass the limit; a tensor bigger than the limit gets a shard of its own.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PoetError } from '../util/errors.ts';
import { storedBytes, writeSafetensors, type TensorToWrite } from './safetensors.ts';
import { writeFileAtomically } from './atomic.ts';

export const SINGLE_WEIGHTS_FILE = 'model.safetensors';
export const WEIGHTS_INDEX_FILE = 'model.safetensors.index.json';
/** transformers' default `max_shard_size` ("5GB", decimal). */
export const DEFAULT_MAX_SHARD_BYTES = 5_000_000_000;

export function shardFileName(index1: number, count: number): string {
  const pad = (n: number): string => String(n).padStart(5, '0');
  return `model-${pad(index1)}-of-${pad(count)}.safetensors`;
}

/** Group tensor names into shards no bigger than maxShardBytes (unless a single tensor is). */
export function planShards(sizes: [string, number][], maxShardBytes: number): string[][] {
  if (!(maxShardBytes > 0)) throw new PoetError(`max shard size must be positive, got ${maxShardBytes}`);
  const shards: string[][] = [];
  let current: string[] = [];
  let currentBytes = 0;
  for (const [name, bytes] of sizes) {
    if (current.length > 0 && currentBytes + bytes > maxShardBytes) {
      shards.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(name);
    currentBytes += bytes;
  }
  if (current.length > 0 || shards.length === 0) shards.push(current);
  return shards;
}

export interface WrittenWeights {
  /** File names (relative to dir) written, in order; the index file last if sharded. */
  files: string[];
  /** Sum of tensor data bytes (the index's total_size). */
  totalSize: number;
  sharded: boolean;
}

/** Write the tensors into `dir` as one file or shards + index. */
export function writeWeights(
  dir: string,
  tensors: [string, TensorToWrite][],
  opts: { maxShardBytes?: number; metadata?: Record<string, string>; onFileWritten?: (file: string) => void } = {},
): WrittenWeights {
  const maxShard = opts.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES;
  const byName = new Map(tensors);
  const plan = planShards(
    tensors.map(([n, t]) => [n, storedBytes(t.dtype, t.shape)]),
    maxShard,
  );
  const totalSize = tensors.reduce((s, [, t]) => s + storedBytes(t.dtype, t.shape), 0);
  const files: string[] = [];
  if (plan.length === 1) {
    const file = SINGLE_WEIGHTS_FILE;
    writeSafetensors(path.join(dir, file), tensors, opts.metadata);
    files.push(file);
    opts.onFileWritten?.(file);
    return { files, totalSize, sharded: false };
  }
  const weightMap: Record<string, string> = {};
  plan.forEach((names, i) => {
    const file = shardFileName(i + 1, plan.length);
    writeSafetensors(
      path.join(dir, file),
      names.map((n) => [n, byName.get(n)!]),
      opts.metadata,
    );
    for (const n of names) weightMap[n] = file;
    files.push(file);
    opts.onFileWritten?.(file);
  });
  const index = { metadata: { total_size: totalSize }, weight_map: weightMap };
  writeFileAtomically(path.join(dir, WEIGHTS_INDEX_FILE), `${JSON.stringify(index, null, 2)}\n`);
  files.push(WEIGHTS_INDEX_FILE);
  opts.onFileWritten?.(WEIGHTS_INDEX_FILE);
  return { files, totalSize, sharded: true };
}

export interface WeightFiles {
  /** Absolute paths of the safetensors files, in order. */
  files: string[];
  /** For a sharded folder: tensor name → absolute shard path, as the index says. */
  weightMap: Map<string, string> | null;
  /** The index's metadata.total_size, when present. */
  indexTotalSize: number | null;
}

/**
 * Find the weight files of a model folder. Prefers the index when both layouts are present, as
 * transformers does. Errors name the folder and what was found instead.
 */
export function findWeightFiles(dir: string): WeightFiles {
  const indexPath = path.join(dir, WEIGHTS_INDEX_FILE);
  if (fs.existsSync(indexPath)) return readWeightIndex(indexPath);
  const single = path.join(dir, SINGLE_WEIGHTS_FILE);
  if (fs.existsSync(single)) return { files: [single], weightMap: null, indexTotalSize: null };
  let listing: string[] = [];
  try {
    listing = fs.readdirSync(dir);
  } catch (e) {
    throw new PoetError(`${dir}: cannot read model folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const other = listing.filter((f) => /\.(bin|pt|pth|ckpt|gguf|h5|msgpack)$/.test(f));
  throw new PoetError(
    `${dir}: no ${SINGLE_WEIGHTS_FILE} or ${WEIGHTS_INDEX_FILE} found` +
      (other.length > 0 ? ` (found ${other.slice(0, 3).join(', ')}: only safetensors weights are supported; convert them with transformers' save_pretrained)` : ''),
  );
}

export function readWeightIndex(indexPath: string): WeightFiles {
  const dir = path.dirname(indexPath);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(indexPath, 'utf8'));
  } catch (e) {
    throw new PoetError(`${indexPath}: not a readable JSON index: ${(e as Error).message}`);
  }
  const wm = (raw as { weight_map?: unknown } | null)?.weight_map;
  if (typeof wm !== 'object' || wm === null || Array.isArray(wm)) {
    throw new PoetError(`${indexPath}: "weight_map" must be an object mapping tensor names to shard files`);
  }
  const weightMap = new Map<string, string>();
  const files: string[] = [];
  for (const [name, file] of Object.entries(wm)) {
    if (typeof file !== 'string' || file.length === 0 || file.includes('/') || file.includes('\\')) {
      throw new PoetError(`${indexPath}: weight_map["${name}"] must be a shard file name in the same folder, found ${JSON.stringify(file)}`);
    }
    const abs = path.join(dir, file);
    if (!files.includes(abs)) {
      if (!fs.existsSync(abs)) throw new PoetError(`${indexPath}: weight_map["${name}"] names ${file}, which does not exist`);
      files.push(abs);
    }
    weightMap.set(name, abs);
  }
  files.sort(); // as transformers does: sorted(set(weight_map.values()))
  const ts = (raw as { metadata?: { total_size?: unknown } }).metadata?.total_size;
  return { files, weightMap, indexTotalSize: typeof ts === 'number' ? ts : null };
}
