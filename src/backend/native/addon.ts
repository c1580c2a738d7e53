/**
 * Loads the compiled addon (native/build/Release/poet_native.node, built by scripts/build-native.mjs at
 * `npm ci`) and describes its positional-argument functions. Only native_backend.ts calls these; everyone
 * else uses the `Backend` interface.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

type F32 = Float32Array;
type I32 = Int32Array;
type Opt<T> = T | null | undefined;

/** Kernel paths: AVX-512 GEMM (+ AVX2 elsewhere), AVX2/FMA, or portable scalar code. */
export type NativeIsa = 'avx512' | 'avx2' | 'scalar';

export interface NativeInfo {
  /** The active path. */
  isa: NativeIsa;
  /** Threads of the addon's pool (hardware concurrency, or POET_NUM_THREADS). */
  threads: number;
  avx2Supported: boolean;
  avx512Supported: boolean;
}

/** The raw N-API functions. Argument order is fixed by native/src/addon.cc (comments there). */
export interface NativeAddon {
  matmul(a: F32, b: F32, c: F32, m: number, n: number, k: number, transA: boolean, transB: boolean,
    accumulate: boolean, batch: number, strideA: Opt<number>, strideB: Opt<number>, strideC: Opt<number>): void;
  biasAdd(x: F32, bias: F32, n: number, d: number): void;
  biasBackward(dBias: F32, dOut: F32, n: number, d: number): void;
  embeddingForward(out: F32, table: F32, ids: I32, n: number, d: number, scale: number): void;
  embeddingBackward(dTable: F32, dOut: F32, ids: I32, n: number, d: number, scale: number): void;
  rmsnormForward(out: F32, rstd: F32, x: F32, w: F32, n: number, d: number, eps: number, addOne: boolean): void;
  rmsnormBackward(dx: F32, dw: F32, dOut: F32, x: F32, w: F32, rstd: F32, n: number, d: number, addOne: boolean): void;
  rope(x: F32, cos: F32, sin: F32, positions: I32, b: number, t: number, h: number, dh: number, inverse: boolean): void;
  attentionForward(q: F32, k: F32, v: F32, out: F32, lse: F32, b: number, tq: number, tk: number, tcap: Opt<number>,
    hq: number, hkv: number, dh: number, scale: number, window: number, softcap: number, firstKey: Opt<I32>): void;
  attentionBackward(q: F32, k: F32, v: F32, out: F32, lse: F32, dOut: F32, dq: F32, dk: F32, dv: F32, b: number,
    tq: number, tk: number, tcap: Opt<number>, hq: number, hkv: number, dh: number, scale: number, window: number,
    softcap: number, firstKey: Opt<I32>): void;
  gluForward(out: F32, gate: F32, up: F32, len: number, act: number): void;
  gluBackward(dGate: F32, dUp: F32, dOut: F32, gate: F32, up: F32, len: number, act: number): void;
  add(out: F32, a: F32, b: F32, len: number): void;
  scale(out: F32, x: F32, s: number, len: number): void;
  axpy(y: F32, x: F32, alpha: number, len: number): void;
  softcapForward(out: F32, x: F32, len: number, cap: number): void;
  softcapBackward(dx: F32, dOut: F32, y: F32, len: number, cap: number): void;
  logprobsForward(logits: F32, targets: I32, n: number, v: number, logp: F32, lse: F32, logitSum: F32): void;
  logprobsBackward(dLogits: F32, dLogp: F32, logits: F32, lse: F32, targets: I32, n: number, v: number): void;
  adamw(param: F32, grad: F32, m: F32, v: F32, len: number, lr: number, beta1: number, beta2: number, eps: number,
    weightDecay: number, step: number, gradScale: number): void;
  sumSquares(x: F32, len: number): number;
  info(): NativeInfo;
  setIsa(isa: NativeIsa): boolean;
}

/** Where the build puts the addon. */
export const ADDON_PATH = fileURLToPath(new URL('../../../native/build/Release/poet_native.node', import.meta.url));

let cached: { addon: NativeAddon | null; error: string | null } | undefined;

/** The addon, or null when it is not built or fails to load (then `addonLoadError()` says why). */
export function loadAddon(): NativeAddon | null {
  if (cached) return cached.addon;
  if (!existsSync(ADDON_PATH)) {
    cached = { addon: null, error: `${ADDON_PATH} does not exist (the native build did not run or failed)` };
    return null;
  }
  try {
    const require = createRequire(import.meta.url);
    cached = { addon: require(ADDON_PATH) as NativeAddon, error: null };
  } catch (e) {
    cached = { addon: null, error: `cannot load ${ADDON_PATH}: ${(e as Error).message}` };
  }
  return cached.addon;
}

/** Why the addon is unavailable (null if it loaded or was never tried). */
export function addonLoadError(): string | null {
  return cached?.error ?? null;
}
