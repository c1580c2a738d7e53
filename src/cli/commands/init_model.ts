/** `poet init-model`: write a randomly initialised model folder in Hugging Face format. */
import type { Command } from 'commander';
import { PoetError } from '../../util/errors.ts';
import { INIT_ARCHS, PRESETS, initModel, type Preset } from '../../io/init_model.ts';
import { TOKENIZER_KINDS, type TokenizerKind } from '../../tokenizer/build.ts';
import type { ModelType } from '../../models/config.ts';
import type { WeightDtype } from '../../io/model_dir.ts';

const SAVE_DTYPES: readonly WeightDtype[] = ['float32', 'bfloat16', 'float16'];

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new PoetError(`${flag}: expected one of ${allowed.join(', ')}, found ${JSON.stringify(value)}`);
  }
  return value as T;
}

export function register(program: Command): void {
  program
    .command('init-model')
    .description('write a random model (config.json, safetensors, generation config, real tokenizer) that transformers can load')
    .requiredOption('--arch <arch>', `model family: ${INIT_ARCHS.join('|')}`)
    .option('--preset <preset>', `size: ${PRESETS.join('|')} (tiny: tests, small: demo, bench: engine benchmark)`, 'tiny')
    .option('--tokenizer <kind>', `tokenizer: ${TOKENIZER_KINDS.join('|')}`, 'byte')
    .requiredOption('--out <dir>', 'output folder (written atomically)')
    .option('--seed <n>', 'random seed', '42')
    .option('--save_dtype <dtype>', `weight storage dtype: ${SAVE_DTYPES.join('|')}`, 'float32')
    .option('--force', 'replace the output folder if it exists and is not empty', false)
    .action(async (o: { arch: string; preset: string; tokenizer: string; out: string; seed: string; save_dtype: string; force: boolean }) => {
      const seed = Number(o.seed);
      if (!/^\d+$/.test(o.seed) || !Number.isSafeInteger(seed)) throw new PoetError(`--seed: expected a non-negative integer, found ${JSON.stringify(o.seed)}`);
      const r = await initModel({
        arch: oneOf<ModelType>('--arch', o.arch, INIT_ARCHS),
        preset: oneOf<Preset>('--preset', o.preset, PRESETS),
        tokenizer: oneOf<TokenizerKind>('--tokenizer', o.tokenizer, TOKENIZER_KINDS),
        out: o.out,
        seed,
        saveDtype: oneOf<WeightDtype>('--save_dtype', o.save_dtype, SAVE_DTYPES),
        force: o.force,
      });
      for (const n of r.notes) process.stderr.write(`poet init-model: note: ${n}\n`);
      const c = r.config;
      process.stdout.write(
        `wrote ${r.saved.dir}: ${c.model_type} ${r.parameters.toLocaleString('en-US')} parameters ` +
          `(vocab ${c.vocab_size}, hidden ${c.hidden_size}, ${c.num_hidden_layers} layers, ${c.num_attention_heads} heads / ${c.num_key_value_heads} kv, ` +
          `intermediate ${c.intermediate_size}${c.tie_word_embeddings ? ', tied embeddings' : ''}), ${r.saved.dtype}, tokenizer ${r.tokenizer}, seed ${seed}\n`,
      );
    });
}
