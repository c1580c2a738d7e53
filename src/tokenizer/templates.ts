/**
 * The chat templates poet knows by name, as verbatim Jinja strings, and the empty-system-message
 * insertion rule of the alignment handbook (POET spec §3.2 item 3, §3.3).
 *
 * All strings are data: they must stay byte-identical to the originals, because the rendered
 * prompt/chosen/rejected strings (and so the token ids) depend on every character.
 */

/** A chat message in OpenAI format, as the preference datasets store it. */
export interface ChatMessage {
  role: string;
  content: string;
}

/**
 * Zephyr template: alignment-handbook `DEFAULT_CHAT_TEMPLATE` (alignment/data.py), also the
 * `chat_template` of alignment-handbook/zephyr-7b-sft-full and `chat_templates.json["mistral-base"]`.
 * The `\n` after each `{% %}` tag disappears under trim_blocks; the `\n` after `{{ }}` stays.
 * Note the two spaces before `+ message['content']` in the assistant line: that is the original.
 */
export const ZEPHYR_CHAT_TEMPLATE =
  "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";

/** The fallback when neither the config nor the tokenizer names a template (spec §3.2 item 6). */
export const DEFAULT_CHAT_TEMPLATE = ZEPHYR_CHAT_TEMPLATE;

/**
 * Llama-3 template (Meta-Llama-3-8B-Instruct tokenizer_config.json, `chat_templates.json["llama3"]`).
 * It contains no "system" substring, so no empty system message is inserted (spec §3.3).
 */
export const LLAMA3_CHAT_TEMPLATE =
  "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

/** Gemma-2 template, verbatim from the `chat_template` of training_configs/gemma-2-9b-it-*.yaml. */
export const GEMMA2_CHAT_TEMPLATE =
  "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{% set system_message = messages[0]['content'] | trim + '\n\n' %}{% set messages = messages[1:] %}{% else %}{% set system_message = '' %}{% endif %}{% for message in messages %}{% if loop.index0 == 0 %}{% set content = system_message + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n' + content | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}";

/**
 * `MISTRAL_CHAT_TEMPLATE` of run_simpo.py / run_dpo.py (spec §3.3): system content is stripped and
 * prepended to the first user turn with "\n\n"; `[INST] … [/INST]` user turns; assistant turns are
 * `' ' + content.strip() + ' ' + eos_token`; no BOS. It ignores add_generation_prompt by design.
 */
export const MISTRAL_CHAT_TEMPLATE =
  "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'].strip() + '\n\n' %}{% else %}{% set loop_messages = messages %}{% set system_message = '' %}{% endif %}{% for message in loop_messages %}{% if loop.index0 == 0 %}{% set content = system_message + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

/** Templates by short name, for configs that name one instead of spelling it out. */
export const KNOWN_CHAT_TEMPLATES: Readonly<Record<string, string>> = {
  zephyr: ZEPHYR_CHAT_TEMPLATE,
  'mistral-base': ZEPHYR_CHAT_TEMPLATE,
  llama3: LLAMA3_CHAT_TEMPLATE,
  gemma2: GEMMA2_CHAT_TEMPLATE,
  mistral: MISTRAL_CHAT_TEMPLATE,
};

/**
 * alignment-handbook `maybe_insert_system_message` (spec §3.2 item 3): put `{role: 'system',
 * content: ''}` first iff the first message is not already a system message and the template text
 * contains "system" or "<|im_start|>". Unlike the Python original it returns a new array instead of
 * mutating its argument; the input is left untouched.
 */
export function maybeInsertSystemMessage(messages: readonly ChatMessage[], template: string): ChatMessage[] {
  if (messages.length > 0 && messages[0]!.role === 'system') return [...messages];
  if (template.includes('system') || template.includes('<|im_start|>')) {
    return [{ role: 'system', content: '' }, ...messages];
  }
  return [...messages];
}
