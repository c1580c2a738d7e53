import { test } from 'node:test';
import assert from 'node:assert/strict';
import { castOverride, parseOverrides, scanOverrides } from '../../src/config/index.ts';
import { PoetMultiError } from '../../src/util/errors.ts';

test('--key=value and --key value both parse; a value may contain "=" and start with "-"', () => {
  const o = parseOverrides(['--output_dir=out/a=b', '--beta', '-0.5', '--use_poet', '--seed=3']);
  assert.deepEqual(
    o.map((x) => [x.key, x.value]),
    [
      ['output_dir', 'out/a=b'],
      ['beta', '-0.5'],
      ['use_poet', null],
      ['seed', '3'],
    ],
  );
});

test('a repeated key and a token that is not --key are reported together', () => {
  const r = scanOverrides(['--beta=1', 'stray', '--beta', '2']);
  assert.equal(r.problems.length, 2);
  assert.match(r.problems[0]!, /"stray": expected --key=value/);
  assert.match(r.problems[1]!, /key "beta" is given more than once \(first as --beta=1\)/);
  assert.throws(() => parseOverrides(['--beta=1', '--beta=2']), PoetMultiError);
});

test('values are cast by the kind of the key', () => {
  const table: [Parameters<typeof castOverride>[0], string | null, unknown][] = [
    ['int', '100', 100],
    ['int', '-1', -1],
    ['int', 'None', null],
    ['int', '12abc', '12abc'], // left as a string: the schema reports it
    ['float', '5e-7', 5e-7],
    ['float', '.5', 0.5],
    ['bool', 'true', true],
    ['bool', 'False', false],
    ['bool', 'yes', 'yes'],
    ['bool', null, true],
    ['string', 'null', null],
    ['string', 'a b', 'a b'],
    ['list', 'train_prefs,test_prefs', ['train_prefs', 'test_prefs']],
    ['list', '[a, b]', ['a', 'b']],
    ['mixer', 'data/a:1.0,data/b:0.5', { 'data/a': 1, 'data/b': 0.5 }],
    ['mixer', '{x: 0.25}', { x: 0.25 }],
    ['string_or_bool', 'false', false],
    ['string_or_bool', 'out/checkpoint-5', 'out/checkpoint-5'],
    ['any', '[wandb]', ['wandb']],
  ];
  for (const [kind, value, expected] of table) {
    assert.deepEqual(castOverride(kind, value), expected, `${kind} ${value}`);
  }
});

test('casting failures name what was expected', () => {
  assert.throws(() => castOverride('int', null), /expected a value after the key/);
  assert.throws(() => castOverride('mixer', 'justaname'), /expected name:fraction/);
  assert.throws(() => castOverride('mixer', 'a:1,a:2'), /appears twice/);
});
