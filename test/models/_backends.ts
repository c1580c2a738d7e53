/** The backends every numeric test runs on: js always, native when its addon loads. */
import { getJsBackend, tryNativeBackend } from '../../src/backend/index.ts';
import type { Backend } from '../../src/backend/types.ts';

export function availableBackends(): Backend[] {
  const list = [getJsBackend()];
  const native = tryNativeBackend();
  if (native) list.push(native);
  else console.log('# native backend not available: testing the js backend only');
  return list;
}
