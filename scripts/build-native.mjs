// Runs at `npm ci`: builds the native kernel addon with node-gyp. A failed build is not fatal:
// poet then falls back to the portable `js` backend and says so once at start-up.
// (Placeholder until the native backend lands; see issue "tensor core".)
import { existsSync } from 'node:fs';
if (!existsSync(new URL('../native/binding.gyp', import.meta.url))) process.exit(0);
