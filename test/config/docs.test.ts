import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIELD_NAMES, fieldInfo } from '../../src/config/index.ts';
import { BEGIN_MARK, END_MARK, renderReference } from '../../src/config/reference.ts';
import { root } from './helpers.ts';

const page = readFileSync(join(root, 'docs', 'configs.md'), 'utf8');

test('docs/configs.md carries the key reference generated from the schema', () => {
  const a = page.indexOf(BEGIN_MARK);
  const b = page.indexOf(END_MARK);
  assert.ok(a >= 0 && b > a, 'markers present');
  assert.equal(
    page.slice(a, b + END_MARK.length),
    renderReference(),
    'docs/configs.md is out of date: run `node --import tsx src/config/reference.ts --write`',
  );
});

test('every key has a row with its meaning, and every group is covered', () => {
  for (const k of FIELD_NAMES) {
    assert.ok(page.includes(`| \`${k}\` |`), `row for ${k}`);
    assert.ok(fieldInfo[k].doc.length > 5, `doc for ${k}`);
  }
  for (const heading of ['ModelArguments', 'DataArguments', 'SimPOConfig / DPOConfig', 'TrainingArguments', "poet's own keys"]) {
    assert.ok(page.includes(heading), heading);
  }
});
