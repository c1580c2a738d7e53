/** The shipped eval templates are the original's, byte for byte, and build prompts with one BOS. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const shared = fileURLToPath(new URL('../../../shared/spec/original-eval-templates/', import.meta.url));

test('eval_templates/ holds the original AlpacaEval prompt templates unmodified', (t) => {
  const names = ['llama3', 'mistral_base', 'gemma2', 'mistral_instruct'];
  for (const n of names) assert.match(fs.readFileSync(`${repo}/eval_templates/${n}.txt`, 'utf8'), /\{instruction\}/, n);
  if (!fs.existsSync(shared)) {
    t.skip(`original templates not found at ${shared}`);
    return;
  }
  for (const n of names) assert.equal(fs.readFileSync(`${repo}/eval_templates/${n}.txt`, 'utf8'), fs.readFileSync(`${shared}${n}.txt`, 'utf8'), n);
});
