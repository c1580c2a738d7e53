/**
 * `poet data inspect CONFIG.yaml [--n 3] [overrides…]`: runs the data pipeline of a training config
 * (sources → template → tokenize_row → cache) and prints a few examples — the rendered strings, the ids
 * split into prompt | scored | POET-cut tail — then statistics over the train split.
 */
import type { Command } from 'commander';
import { loadTrainingConfig } from '../../config/index.ts';
import { pairResponseLens } from '../../data/batch.ts';
import { defaultCacheDir } from '../../data/cache.ts';
import { preparePreferenceData } from '../../data/prepare.ts';
import type { DataOptions } from '../../data/prepare.ts';
import { prepareSftData } from '../../data/prepare_sft.ts';
import { histogram, pairStats } from '../../data/stats.ts';
import { formatLocation } from '../../data/types.ts';
import type { TokenizedPair } from '../../data/types.ts';
import { PoetError } from '../../util/errors.ts';

const out = (s = '') => process.stdout.write(`${s}\n`);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

interface Decoder {
  decode(ids: readonly number[], opts?: { skipSpecialTokens?: boolean }): string;
}

function showSide(tok: Decoder, name: string, ids: Int32Array, promptLen: number, scored: number, usePoet: boolean): void {
  const first = Math.max(promptLen, 1);
  const resp = Math.max(0, ids.length - first);
  const keep = usePoet ? Math.min(scored, resp) : resp;
  const parts = [
    tok.decode(Array.from(ids.subarray(0, first))),
    tok.decode(Array.from(ids.subarray(first, first + keep))),
    tok.decode(Array.from(ids.subarray(first + keep))),
  ];
  out(`  ${name}: ${ids.length} tokens = ${promptLen} prompt + ${ids.length - promptLen} response; scored ${keep}${usePoet ? ` (POET k), cut ${resp - keep}` : ''}`);
  out(`    ids: [${Array.from(ids.subarray(0, 12)).join(', ')}${ids.length > 12 ? ', …' : ''}]`);
  out(`    text: ⟦${JSON.stringify(parts[0]).slice(1, -1)}⟧${JSON.stringify(parts[1]).slice(1, -1)}${parts[2] ? `⟪${JSON.stringify(parts[2]).slice(1, -1)}⟫` : ''}`);
}

function showPair(tok: Decoder, p: TokenizedPair, i: number, usePoet: boolean): void {
  const r = pairResponseLens(p);
  const k = Math.min(r.chosen, r.rejected);
  out(`example ${i}${usePoet ? `  (POET k = ${k})` : ''}   ⟦prompt⟧ scored ⟪not scored by POET⟫`);
  showSide(tok, 'chosen  ', p.chosenIds, p.chosenPromptLen, k, usePoet);
  showSide(tok, 'rejected', p.rejectedIds, p.rejectedPromptLen, k, usePoet);
  out();
}

export function register(program: Command): void {
  const data = program.command('data').description('inspect the preference data pipeline of a training config');
  data
    .command('inspect')
    .description('format + tokenize a config\'s datasets and print examples (masks, POET k) and statistics')
    .argument('<config>', 'training config YAML file')
    .argument('[overrides...]', 'key overrides: --key=value or --key value')
    .option('--n <count>', 'examples to print', '3')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (configFile: string, overrides: string[], cmdOpts: { n: string }) => {
      const n = Number(cmdOpts.n);
      if (!Number.isInteger(n) || n < 0) throw new PoetError(`--n: expected a non-negative integer, found "${cmdOpts.n}"`);
      const { config: c, notices } = loadTrainingConfig(configFile, overrides);
      for (const x of notices) process.stderr.write(`poet: notice: ${x}\n`);
      const common = {
        datasetMixer: c.dataset_mixer as Record<string, number>,
        datasetSplits: c.dataset_splits,
        datasetConfigs: c.dataset_configs ?? null,
        tokenizerDir: c.tokenizer_name_or_path,
        chatTemplate: c.chat_template ?? null,
        autoInsertEmptySystemMsg: c.auto_insert_empty_system_msg,
        skipInvalidRows: c.skip_invalid_rows,
      };
      if (c.trainer_type === 'sft') {
        const d = await prepareSftData({ ...common, maxLength: c.max_length });
        out(`SFT conversations: train ${d.train.length}, test ${d.test.length}; truncated ${d.truncated}; skipped ${d.skipped.length}`);
        histogram(d.train.map((x) => x.ids.length)).forEach((l) => out(l));
        return;
      }
      const opts: DataOptions = {
        ...common,
        trainer: c.trainer_type,
        maxLength: c.max_length,
        maxPromptLength: c.max_prompt_length,
        maxCompletionLength: c.max_completion_length,
        truncationMode: c.truncation_mode as 'keep_end' | 'keep_start',
        modelNameOrPath: c.model_name_or_path,
        cacheDir: c.data_cache_dir ?? defaultCacheDir(c.output_dir),
        onProgress: (done, total) => {
          if (process.stderr.isTTY) process.stderr.write(`\rtokenizing ${done}/${total}`);
        },
      };
      const d = await preparePreferenceData(opts);
      if (process.stderr.isTTY) process.stderr.write('\n');
      for (const x of d.summary.notices) process.stderr.write(`poet: notice: ${x}\n`);
      out(`data: ${d.fromCache ? 'loaded from cache' : 'tokenized'} (${d.cacheFile ?? 'no cache'})`);
      const L = d.summary.lengths;
      out(`lengths: max_length ${L.maxLength}, max_prompt_length ${L.maxPromptLength}, max_completion_length ${L.maxCompletionLength}, ${L.truncationMode}; use_poet ${c.use_poet}`);
      for (const s of d.summary.splits) out(`  ${s.dataset} [${s.split} → ${s.side}]: ${s.rowsUsed} of ${s.rowsInFile} rows${s.rowsSkipped ? `, ${s.rowsSkipped} skipped` : ''}`);
      if (d.summary.skipped.length > 0) {
        out(`skipped rows: ${d.summary.skipped.length}`);
        for (const s of d.summary.skipped.slice(0, 5)) out(`  ${formatLocation(s.loc)}: ${s.reason}`);
      }
      out();
      d.train.slice(0, n).forEach((p, i) => showPair(d.tokenizer, p, i, c.use_poet));
      for (const [name, pairs] of [['train', d.train], ['test', d.test]] as const) {
        const s = pairStats(pairs);
        out(`${name}: ${s.pairs} pairs, ${s.tokens} tokens (${s.promptTokens} prompt, ${s.responseTokens} scored response)`);
        out(`  truncated: prompt ${pct(s.truncatedPrompt)}, responses ${pct(s.truncatedResponse)}, max_completion_length ${pct(s.truncatedCompletion)}`);
        out(`  POET: mean k ${s.meanK.toFixed(1)}; response tokens POET leaves unscored ${pct(s.poetCutShare)}`);
      }
      out();
      out('train pair length (longer side, tokens):');
      histogram(d.train.map((p) => Math.max(p.chosenIds.length, p.rejectedIds.length))).forEach((l) => out(l));
      out('train response length (chosen and rejected, scored tokens):');
      histogram(d.train.flatMap((p) => Object.values(pairResponseLens(p)))).forEach((l) => out(l));
    });
}
