// Runs at `npm ci` (the package's `install` script): builds the native kernel addon with node-gyp into
// native/build/Release/poet_native.node. A failed build is never fatal: it prints one line and exits 0,
// and poet falls back to the portable `js` backend (src/backend/native/load.ts returns null).
//
// node-gyp is the copy bundled with npm (no download): npm passes its path in npm_config_node_gyp during
// lifecycle scripts; when this script is run by hand we look for it next to the running node.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');

function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((p) => p && existsSync(p)) ?? null;
}

function fail(why) {
  console.log(`poet: native kernels not built (${why}); poet will use the slower js backend.`);
  process.exit(0);
}

if (process.env.POET_SKIP_NATIVE_BUILD === '1') fail('POET_SKIP_NATIVE_BUILD=1');
if (!existsSync(join(nativeDir, 'binding.gyp'))) fail('native/binding.gyp missing');
const gyp = findNodeGyp();
if (!gyp) fail('node-gyp not found next to npm');

// Node's headers: npm exports npm_config_nodedir when configured; when run by hand on a system node whose
// headers are installed under <prefix>/include/node, point node-gyp there so it never tries to download.
const args = [gyp, 'rebuild', '--release'];
const prefix = join(dirname(process.execPath), '..');
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'common.gypi'))) {
  args.push(`--nodedir=${prefix}`);
}
const verbose = process.env.POET_NATIVE_VERBOSE === '1';
const res = spawnSync(process.execPath, args, { cwd: nativeDir, stdio: verbose ? 'inherit' : 'pipe', encoding: 'utf8' });
if (res.status !== 0) {
  const out = `${res.stdout ?? ''}${res.stderr ?? ''}`;
  const firstError = out.split('\n').find((l) => /error/i.test(l)) ?? `exit code ${res.status}`;
  fail(`node-gyp failed: ${firstError.trim().slice(0, 200)}; rerun with POET_NATIVE_VERBOSE=1 for details`);
}
if (!existsSync(join(nativeDir, 'build', 'Release', 'poet_native.node'))) fail('build produced no poet_native.node');
console.log('poet: native kernels built (native/build/Release/poet_native.node).');
