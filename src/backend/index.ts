/**
 * Backend selection. `getBackend()` returns the process-wide kernel backend:
 *   - `POET_BACKEND=js`      → the plain TypeScript reference backend;
 *   - `POET_BACKEND=native`  → the C++ addon (default). If the addon is not built or fails to load, poet
 *     falls back to js and prints ONE line to stderr saying so.
 * `setBackend(name)` overrides the choice (the `backend:` config key); call it before building models,
 * since tensors do not move between backends (they are all plain Float32Arrays, so nothing breaks, but a
 * model keeps the backend it was built with).
 */
import { PoetError } from '../util/errors.ts';
import { createJsBackend } from './js/index.ts';
// The native loader only loads the addon lazily (inside loadNativeBackend), so importing it is always safe.
import { addonLoadError, loadNativeBackend } from './native/index.ts';
import type { Backend, BackendName } from './types.ts';

export type { Backend, BackendName } from './types.ts';

let current: Backend | null = null;
let jsBackend: Backend | null = null;
let warned = false;

function js(): Backend {
  jsBackend ??= createJsBackend();
  return jsBackend;
}

let nativeError: string | null = null;

/** The native backend, or null (no message printed). */
export function tryNativeBackend(): Backend | null {
  try {
    const be = loadNativeBackend();
    if (!be) nativeError = addonLoadError();
    return be;
  } catch (e) {
    nativeError = e instanceof Error ? e.message.split('\n')[0] : String(e);
    return null;
  }
}

function parseName(value: string, source: string): BackendName {
  if (value === 'native' || value === 'js') return value;
  throw new PoetError(`${source}: unknown backend '${value}'; expected 'native' or 'js'`);
}

function resolve(name: BackendName): Backend {
  if (name === 'js') return js();
  const native = tryNativeBackend();
  if (native) return native;
  if (!warned) {
    warned = true;
    const why = nativeError ?? 'the addon native/build/Release/poet_native.node is not built';
    process.stderr.write(`poet: native backend unavailable (${why}); using the slower js backend\n`);
  }
  return js();
}

/** The process-wide backend (chosen by POET_BACKEND on first use, default native). */
export function getBackend(): Backend {
  if (!current) current = resolve(parseName(process.env.POET_BACKEND ?? 'native', 'POET_BACKEND'));
  return current;
}

/** Choose the backend explicitly (config key `backend`); returns the backend actually in use. */
export function setBackend(name: string): Backend {
  current = resolve(parseName(name, 'backend'));
  return current;
}

/** The js reference backend, regardless of the current choice (tests compare against it). */
export function getJsBackend(): Backend {
  return js();
}
