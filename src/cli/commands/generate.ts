/**
 * `poet generate --model DIR --prompts FILE --out FILE.json [options]`: batched generation with a KV
 * cache, greedy or sampled (deterministic for a seed), AlpacaEval output format.
 */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { generateOutputs, readPrompts } from '../../eval/generate_outputs.ts';
import { writeFileAtomically } from '../../io/atomic.ts';
import { PoetError } from '../../util/errors.ts';

export interface GenerationFlags {
  prompt_template?: string;
  chat_template?: string;
  temperature: string;
  top_p: string;
  top_k: string;
  max_new_tokens: string;
  stop_token_ids?: string;
  stop?: string[];
  seed: string;
  batch_size: string;
  generator?: string;
}

function num(flag: string, v: string, integer: boolean, min: number): number {
  const n = Number(v);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min) {
    throw new PoetError(`--${flag}: expected ${integer ? 'an integer' : 'a number'} ≥ ${min}, found "${v}"`);
  }
  return n;
}

/** Commander options shared by `generate` and `eval pipeline`. */
export function addGenerationOptions(cmd: Command, opts: { seed?: boolean } = {}): Command {
  cmd
    .option('--prompt_template <file>', 'prompt template file with {instruction} (e.g. the original eval templates); default: the chat template')
    .option('--chat_template <template>', 'chat template override: a Jinja string, a file, or a known name (llama3, gemma2, zephyr, mistral)')
    .option('--temperature <t>', 'sampling temperature; 0 = greedy', '0')
    .option('--top_p <p>', 'nucleus sampling mass (1 = off)', '1')
    .option('--top_k <k>', 'top-k sampling (0 = off)', '0')
    .option('--max_new_tokens <n>', 'maximum generated tokens per prompt', '512')
    .option('--stop_token_ids <ids>', 'comma-separated token ids that end a generation (EOS ids are always included)')
    .option('--stop <string...>', 'strings that end a generation (the output is cut before them)')
    .option('--batch_size <n>', 'prompts per batch', '8')
    .option('--generator <name>', 'generator name written into the outputs (default: the model folder name)');
  if (opts.seed !== false) cmd.option('--seed <n>', 'sampling seed', '42');
  return cmd;
}

export function generationSettings(f: GenerationFlags) {
  let chatTemplate = f.chat_template ?? null;
  if (chatTemplate && fs.existsSync(chatTemplate)) chatTemplate = fs.readFileSync(chatTemplate, 'utf8');
  let promptTemplate: string | null = null;
  if (f.prompt_template) {
    try {
      promptTemplate = fs.readFileSync(f.prompt_template, 'utf8');
    } catch {
      throw new PoetError(`--prompt_template: cannot read ${f.prompt_template}`);
    }
    if (!promptTemplate.includes('{instruction}')) throw new PoetError(`--prompt_template: ${f.prompt_template} has no {instruction} placeholder`);
  }
  const stopTokenIds = (f.stop_token_ids ?? '')
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((s) => num('stop_token_ids', s.trim(), true, 0));
  return {
    promptTemplate,
    chatTemplate,
    temperature: num('temperature', f.temperature, false, 0),
    topP: num('top_p', f.top_p, false, 0),
    topK: num('top_k', f.top_k, true, 0),
    maxNewTokens: num('max_new_tokens', f.max_new_tokens, true, 1),
    stopTokenIds,
    stopStrings: f.stop ?? [],
    seed: num('seed', String(f.seed), true, 0),
    batchSize: num('batch_size', f.batch_size, true, 1),
    ...(f.generator ? { generator: f.generator } : {}),
  };
}

export function register(program: Command): void {
  const cmd = program
    .command('generate')
    .description('generate responses for AlpacaEval-style prompts (JSONL/JSON with an "instruction" field)')
    .requiredOption('--model <dir>', 'model folder (Hugging Face format)')
    .requiredOption('--prompts <file>', 'prompts: JSONL or JSON array of {instruction, dataset?}')
    .requiredOption('--out <file>', 'output JSON file ([{instruction, output, generator, dataset?}])');
  addGenerationOptions(cmd).action(async (f: GenerationFlags & { model: string; prompts: string; out: string }) => {
    const prompts = readPrompts(f.prompts);
    const outputs = await generateOutputs({ modelDir: f.model, prompts, ...generationSettings(f) });
    writeFileAtomically(f.out, JSON.stringify(outputs, null, 2) + '\n');
    process.stderr.write(`poet: wrote ${outputs.length} outputs to ${f.out}\n`);
  });
}
