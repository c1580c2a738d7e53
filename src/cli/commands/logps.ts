/**
 * `poet logps --model DIR --data FILE --out FILE.jsonl [--use_poet] [--max_length N] [--max_prompt_length N]
 * [--chat_template T]`: per-pair log-prob sums and means of chosen and rejected under a model, their scored
 * token counts and POET's k, in file order (one JSON object per line).
 */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { writeFileAtomically } from '../../io/atomic.ts';
import { computePairLogps } from '../../train/logps.ts';
import { PoetError } from '../../util/errors.ts';

function int(flag: string, v: string | undefined): number | null {
  if (v === undefined) return null;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new PoetError(`--${flag}: expected a positive integer, found "${v}"`);
  return n;
}

export function register(program: Command): void {
  program
    .command('logps')
    .description('per-pair log-probs of chosen and rejected responses under a model (with or without POET)')
    .requiredOption('--model <dir>', 'model folder (Hugging Face format, with tokenizer files)')
    .requiredOption('--data <file>', 'preference pairs: JSONL, JSON or Parquet in the UltraFeedback schema')
    .requiredOption('--out <file>', 'output JSONL, one line per pair')
    .option('--use_poet', 'score only the first k = min(|chosen|, |rejected|) response tokens of each', false)
    .option('--max_length <n>', 'maximum prompt + response tokens (default 512)')
    .option('--max_prompt_length <n>', 'maximum prompt tokens kept when truncating (default 128)')
    .option('--max_completion_length <n>', 'cap on each response')
    .option('--truncation_mode <mode>', 'keep_end or keep_start', 'keep_end')
    .option('--chat_template <template>', 'chat template override: a Jinja string, a file, or a known name')
    .option('--batch_size <n>', 'pairs per forward pass', '8')
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const mode = o.truncation_mode as string;
      if (mode !== 'keep_end' && mode !== 'keep_start') throw new PoetError(`--truncation_mode: expected keep_end or keep_start, found "${mode}"`);
      let chatTemplate = (o.chat_template as string | undefined) ?? null;
      if (chatTemplate && fs.existsSync(chatTemplate)) chatTemplate = fs.readFileSync(chatTemplate, 'utf8');
      const rows = await computePairLogps({
        modelDir: o.model as string,
        dataFile: o.data as string,
        usePoet: Boolean(o.use_poet),
        maxLength: int('max_length', o.max_length as string | undefined),
        maxPromptLength: int('max_prompt_length', o.max_prompt_length as string | undefined),
        maxCompletionLength: int('max_completion_length', o.max_completion_length as string | undefined),
        truncationMode: mode,
        chatTemplate,
        batchSize: int('batch_size', o.batch_size as string) ?? 8,
      });
      writeFileAtomically(o.out as string, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
      process.stderr.write(`poet: wrote ${rows.length} pairs to ${o.out}\n`);
    });
}
