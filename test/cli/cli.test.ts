import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

function poet(args: string[]) {
  return spawnSync(process.execPath, ['bin/poet.mjs', ...args], { cwd: root, encoding: 'utf8' });
}

test('poet --help lists the demo command and exits 0', () => {
  const r = poet(['--help']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /demo/);
});

test('an unknown command exits with code 2 and a message, not a stack trace', () => {
  const r = poet(['no-such-command']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});
