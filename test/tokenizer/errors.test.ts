/** User-facing failures: each is a PoetError whose message names the file/field and what was wrong. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PoetError } from '../../src/util/errors.ts';
import { loadTokenizer } from '../../src/tokenizer/load.ts';
import { writeTokenizerFiles, type TokenizerKind } from '../../src/tokenizer/build.ts';
import { scratchDir, tokenizerDir } from './helpers.ts';

function poetError(pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof PoetError, `expected a PoetError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  };
}

test('missing directory or tokenizer.json', async () => {
  await assert.rejects(loadTokenizer('/nonexistent/poet-tok'), poetError(/directory \/nonexistent\/poet-tok does not exist/));
  const empty = scratchDir('empty');
  await assert.rejects(loadTokenizer(empty), poetError(/tokenizer\.json not found/));
});

test('corrupt tokenizer.json / tokenizer_config.json name the file and the parse error', async () => {
  const dir = scratchDir('corrupt');
  writeFileSync(path.join(dir, 'tokenizer.json'), '{"version": "1.0", "model": {');
  await assert.rejects(loadTokenizer(dir), poetError(/corrupt\/tokenizer\.json is not valid JSON/));
  writeFileSync(path.join(dir, 'tokenizer.json'), '[1, 2]');
  await assert.rejects(loadTokenizer(dir), poetError(/tokenizer\.json: expected a JSON object, found a list/));
  writeFileSync(path.join(dir, 'tokenizer.json'), '{"version": "1.0"}');
  await assert.rejects(loadTokenizer(dir), poetError(/tokenizer\.json could not be loaded/));

  const { dir: good } = await tokenizerDir('byte');
  copyFileSync(path.join(good, 'tokenizer.json'), path.join(dir, 'tokenizer.json'));
  writeFileSync(path.join(dir, 'tokenizer_config.json'), '{bos_token: 1}');
  await assert.rejects(loadTokenizer(dir), poetError(/tokenizer_config\.json is not valid JSON/));
  writeFileSync(path.join(dir, 'tokenizer_config.json'), '{"eos_token": "<|not-there|>"}');
  await assert.rejects(loadTokenizer(dir), poetError(/eos_token "<\|not-there\|>" is not in the vocabulary/));
});

test('a template that raises: the message carries the template\'s own text', async () => {
  const { dir } = await tokenizerDir('byte');
  // chat_templates.json["mistral-instruct"]-style role checks.
  const strict = "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{{ message['content'] }}{% endfor %}";
  const tok = await loadTokenizer(dir, { chatTemplate: strict });
  assert.equal(tok.applyChatTemplate([{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }]), '<s>ab');
  assert.throws(
    () => tok.applyChatTemplate([{ role: 'system', content: '' }, { role: 'user', content: 'a' }]),
    poetError(/chat template \(chat_template override\) raised an error: .*Conversation roles must alternate/),
  );
});

test('a template that does not parse is rejected at load time', async () => {
  const { dir } = await tokenizerDir('byte');
  await assert.rejects(loadTokenizer(dir, { chatTemplate: '{% for m in messages %}{{ m.content }}' }), poetError(/does not parse/));
});

test('malformed messages name the entry and field', async () => {
  const tok = await loadTokenizer((await tokenizerDir('byte')).dir);
  const bad = [{ role: 'user', content: 'ok' }, { role: 'assistant', content: 42 }] as unknown as Parameters<typeof tok.applyChatTemplate>[0];
  assert.throws(() => tok.applyChatTemplate(bad), poetError(/messages\[1\]\.content: expected a string, found number/));
  assert.throws(() => tok.applyChatTemplate('hi' as never), poetError(/messages: expected a list/));
});

test('unknown tokenizer kind', async () => {
  await assert.rejects(
    writeTokenizerFiles('bert' as TokenizerKind, scratchDir('bert')),
    poetError(/unknown tokenizer kind "bert": expected one of gpt2, llama3, mistral, byte/),
  );
});
