/**
 * Chat templates against the exact strings of POET spec §3.3, the empty-system-message rule of
 * §3.2 item 3, and the DPO split property (prompt + generation prompt is a prefix of the full
 * conversation).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { loadTokenizer, type PoetTokenizer } from '../../src/tokenizer/load.ts';
import {
  DEFAULT_CHAT_TEMPLATE, GEMMA2_CHAT_TEMPLATE, LLAMA3_CHAT_TEMPLATE, MISTRAL_CHAT_TEMPLATE, ZEPHYR_CHAT_TEMPLATE,
  maybeInsertSystemMessage, type ChatMessage,
} from '../../src/tokenizer/templates.ts';
import { gemmaLikeDir, tokenizerDir } from './helpers.ts';

const U = '  What is 2+2?  ';
const A_CHOSEN = ' It is 4. ';
const A_REJECTED = 'It is 5.';
const chosenConv: ChatMessage[] = [{ role: 'user', content: U }, { role: 'assistant', content: A_CHOSEN }];
const rejectedConv: ChatMessage[] = [{ role: 'user', content: U }, { role: 'assistant', content: A_REJECTED }];

/** Spec §3.2 items 2–4: prompt from chosen[:-1] (+ maybe system), responses with a leading BOS string removed. */
function splitPair(tok: PoetTokenizer, chosen: ChatMessage[], rejected: ChatMessage[]) {
  const promptMessages = maybeInsertSystemMessage(chosen.slice(0, -1), tok.chatTemplate);
  const stripBos = (s: string) => (tok.bosToken && s.startsWith(tok.bosToken) ? s.slice(tok.bosToken.length) : s);
  return {
    prompt: tok.applyChatTemplate(promptMessages),
    chosen: stripBos(tok.applyChatTemplate(chosen.slice(-1))),
    rejected: stripBos(tok.applyChatTemplate(rejected.slice(-1))),
    promptMessages,
  };
}

test('Zephyr (mistral-7b-base configs): system inserted, exact prompt/chosen/rejected strings', async () => {
  const tok = await loadTokenizer((await tokenizerDir('mistral')).dir);
  assert.equal(tok.chatTemplate, ZEPHYR_CHAT_TEMPLATE);
  const { prompt, chosen, rejected, promptMessages } = splitPair(tok, chosenConv, rejectedConv);
  assert.deepEqual(promptMessages[0], { role: 'system', content: '' });
  assert.equal(prompt, `<|system|>\n</s>\n<|user|>\n${U}</s>\n`);
  assert.equal(chosen, `<|assistant|>\n${A_CHOSEN}</s>\n`);
  assert.equal(rejected, `<|assistant|>\n${A_REJECTED}</s>\n`);
  assert.equal(tok.applyChatTemplate(promptMessages, { addGenerationPrompt: true }), `${prompt}<|assistant|>\n`);
});

test('Llama-3: no system insertion, | trim, BOS only on the first turn, response strings', async () => {
  const tok = await loadTokenizer((await tokenizerDir('llama3')).dir);
  assert.equal(tok.chatTemplate, LLAMA3_CHAT_TEMPLATE);
  const { prompt, chosen, rejected, promptMessages } = splitPair(tok, chosenConv, rejectedConv);
  assert.equal(promptMessages.length, 1);
  assert.equal(prompt, '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>');
  assert.equal(chosen, '<|start_header_id|>assistant<|end_header_id|>\n\nIt is 4.<|eot_id|>');
  assert.equal(rejected, '<|start_header_id|>assistant<|end_header_id|>\n\nIt is 5.<|eot_id|>');
  assert.equal(tok.applyChatTemplate(chosenConv), prompt + chosen);
  assert.equal(
    tok.applyChatTemplate(promptMessages, { addGenerationPrompt: true }),
    `${prompt}<|start_header_id|>assistant<|end_header_id|>\n\n`,
  );
  // ecosystem.md §1: the same ids transformers.js produced for [{user: "Hi there"}] + generation prompt.
  const ids = tok.encode(tok.applyChatTemplate([{ role: 'user', content: 'Hi there' }], { addGenerationPrompt: true }), { addSpecialTokens: false });
  assert.deepEqual(ids, [128000, 128006, 882, 128007, 271, 13347, 1070, 128009, 128006, 78191, 128007, 271]);
});

test('Gemma-2 (config template): empty system trimmed away, assistant → model, <bos> stripped from responses', async () => {
  const tok = await loadTokenizer(await gemmaLikeDir(), { chatTemplate: GEMMA2_CHAT_TEMPLATE });
  const { prompt, chosen, rejected, promptMessages } = splitPair(tok, chosenConv, rejectedConv);
  assert.equal(promptMessages[0]!.role, 'system', 'the Gemma template mentions "system"');
  assert.equal(prompt, '<bos><start_of_turn>user\nWhat is 2+2?<end_of_turn>\n');
  assert.equal(chosen, '<start_of_turn>model\nIt is 4.<end_of_turn>\n');
  assert.equal(rejected, '<start_of_turn>model\nIt is 5.<end_of_turn>\n');
  assert.equal(tok.applyChatTemplate(promptMessages, { addGenerationPrompt: true }), `${prompt}<start_of_turn>model\n`);
  // A non-empty system message is trimmed and joined to the first user turn with a blank line.
  const withSystem = tok.applyChatTemplate([{ role: 'system', content: ' Be brief. ' }, { role: 'user', content: 'Hi' }]);
  assert.equal(withSystem, '<bos><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n');
});

test('MISTRAL_CHAT_TEMPLATE (run_simpo/run_dpo override): [INST] turns, stripped content, no BOS, no generation prompt', async () => {
  const tok = await loadTokenizer((await tokenizerDir('mistral')).dir, { chatTemplate: 'mistral' });
  assert.equal(tok.chatTemplate, MISTRAL_CHAT_TEMPLATE);
  const conv: ChatMessage[] = [
    { role: 'system', content: ' Be brief. ' }, { role: 'user', content: U }, { role: 'assistant', content: A_CHOSEN },
    { role: 'user', content: 'And 3+3?' },
  ];
  // strip() applies to system + "\n\n" + user as a whole, so the user turn's leading spaces stay.
  const expected = '[INST] Be brief.\n\n  What is 2+2? [/INST] It is 4. </s>[INST] And 3+3? [/INST]';
  assert.equal(tok.applyChatTemplate(conv), expected);
  assert.equal(tok.applyChatTemplate(conv, { addGenerationPrompt: true }), expected);
});

test('add_generation_prompt: prompt + generation prompt is a prefix of prompt + assistant reply', async () => {
  const cases: Array<[string, PoetTokenizer]> = [
    ['zephyr', await loadTokenizer((await tokenizerDir('byte')).dir)],
    ['llama3', await loadTokenizer((await tokenizerDir('byte')).dir, { chatTemplate: LLAMA3_CHAT_TEMPLATE })],
    ['gemma2', await loadTokenizer(await gemmaLikeDir(), { chatTemplate: GEMMA2_CHAT_TEMPLATE })],
  ];
  const history: ChatMessage[] = [
    { role: 'user', content: 'What is 2+2?' }, { role: 'assistant', content: 'It is 4.' }, { role: 'user', content: 'And 3+3?' },
  ];
  for (const [name, tok] of cases) {
    const prompt = tok.applyChatTemplate(history, { addGenerationPrompt: true });
    const full = tok.applyChatTemplate([...history, { role: 'assistant', content: 'It is 6.' }]);
    assert.ok(full.startsWith(prompt), `${name}: ${JSON.stringify(prompt)} is not a prefix of ${JSON.stringify(full)}`);
    assert.ok(full.length > prompt.length + 'It is 6.'.length - 1, `${name}: completion missing`);
    assert.notEqual(prompt, tok.applyChatTemplate(history), `${name}: the generation prompt added nothing`);
  }
});

test('template precedence: override > tokenizer_config > DEFAULT (Zephyr)', async () => {
  const gemma = await gemmaLikeDir(); // its config has no chat_template
  assert.equal((await loadTokenizer(gemma)).chatTemplate, DEFAULT_CHAT_TEMPLATE);
  const llamaDir = (await tokenizerDir('llama3')).dir;
  assert.equal((await loadTokenizer(llamaDir)).chatTemplate, LLAMA3_CHAT_TEMPLATE);
  const custom = '{% for m in messages %}{{ m.role }}:{{ m.content }};{% endfor %}';
  const tok = await loadTokenizer(llamaDir, { chatTemplate: custom });
  assert.equal(tok.chatTemplate, custom);
  assert.equal(tok.applyChatTemplate([{ role: 'user', content: 'x' }]), 'user:x;');
});

test('maybeInsertSystemMessage: the "system" / "<|im_start|>" substring rule, input untouched', () => {
  const msgs: ChatMessage[] = [{ role: 'user', content: 'hi' }];
  const withSys = maybeInsertSystemMessage(msgs, ZEPHYR_CHAT_TEMPLATE);
  assert.deepEqual(withSys, [{ role: 'system', content: '' }, { role: 'user', content: 'hi' }]);
  assert.equal(msgs.length, 1, 'the input array is not mutated');
  assert.deepEqual(maybeInsertSystemMessage(msgs, LLAMA3_CHAT_TEMPLATE), msgs);
  assert.deepEqual(maybeInsertSystemMessage(msgs, MISTRAL_CHAT_TEMPLATE), [{ role: 'system', content: '' }, ...msgs]);
  assert.deepEqual(maybeInsertSystemMessage(msgs, '{{ "<|im_start|>" }}'), [{ role: 'system', content: '' }, ...msgs]);
  const already: ChatMessage[] = [{ role: 'system', content: 'S' }, { role: 'user', content: 'hi' }];
  assert.deepEqual(maybeInsertSystemMessage(already, ZEPHYR_CHAT_TEMPLATE), already);
});

const fixture = (name: string) => readFileSync(new URL(`../fixtures/tokenizer/${name}`, import.meta.url), 'utf8');

test('GEMMA2_CHAT_TEMPLATE equals the chat_template of the original Gemma-2 YAML configs', () => {
  const doc = parseYaml(fixture('gemma-2-chat-template.yaml')) as { chat_template: string };
  assert.equal(GEMMA2_CHAT_TEMPLATE, doc.chat_template);
});

test('generation prompts reproduce the original AlpacaEval prompt templates (spec §6.2)', async () => {
  // Each eval template is the training template rendered for one user turn + generation prompt.
  const render = (tok: PoetTokenizer) =>
    tok.applyChatTemplate(maybeInsertSystemMessage([{ role: 'user', content: '{instruction}' }], tok.chatTemplate), { addGenerationPrompt: true });
  const llama = await loadTokenizer((await tokenizerDir('llama3')).dir);
  assert.equal(render(llama), fixture('eval-templates/llama3.txt'));
  const gemma = await loadTokenizer(await gemmaLikeDir(), { chatTemplate: GEMMA2_CHAT_TEMPLATE });
  assert.equal(render(gemma), fixture('eval-templates/gemma2.txt'));
  // mistral_base.txt starts with a literal "<s> " (the BOS vLLM sees); the rest is the Zephyr rendering.
  const zephyr = await loadTokenizer((await tokenizerDir('mistral')).dir);
  assert.equal('<s> ' + render(zephyr), fixture('eval-templates/mistral_base.txt'));
});
