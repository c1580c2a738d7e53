/**
 * Data pipeline benchmark: format + tokenize N synthetic UltraFeedback-shaped pairs (~150 prompt tokens,
 * ~300 per response) with the real Llama-3 vocabulary and template, then load them again from the cache.
 * Prints pairs/s, tokens/s, peak RSS, and the cached-restart speed-up. Target: ≥ 400 pairs/s on 2 cores,
 * cached restart ≥ 20× faster.
 *
 *   node --import tsx bench/data.ts [--pairs 60000] [--workers N]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { preparePreferenceData } from '../src/data/prepare.ts';
import { writeTokenizerFiles } from '../src/tokenizer/index.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('pairs', 60000);
const workers = process.argv.includes('--workers') ? arg('workers', 2) : undefined;

const WORDS = 'the model answer question data train token length policy reward prefix equal truncation preference chosen rejected response prompt language learning gradient quality helpful concise detailed example because however therefore 2024 42 3.14 (see) "quoted" — naïve café'.split(' ');
let seed = 12345;
const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
const text = (words: number) => Array.from({ length: words }, () => WORDS[Math.floor(rnd() * WORDS.length)]).join(' ');

const dir = mkdtempSync(join(tmpdir(), 'poet-bench-data-'));
try {
  const t0 = performance.now();
  await writeTokenizerFiles('llama3', join(dir, 'tok'));
  mkdirSync(join(dir, 'uf'));
  const lines: string[] = [];
  for (let i = 0; i < N; i++) {
    const q = text(120);
    lines.push(JSON.stringify({
      prompt: q,
      chosen: [{ role: 'user', content: q }, { role: 'assistant', content: text(240) }],
      rejected: [{ role: 'user', content: q }, { role: 'assistant', content: text(240) }],
      score_chosen: 8,
    }));
  }
  writeFileSync(join(dir, 'uf', 'train_prefs.jsonl'), lines.join('\n') + '\n');
  console.log(`setup (tokenizer + ${N} synthetic rows): ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const opts = {
    datasetMixer: { [join(dir, 'uf')]: 1 },
    datasetSplits: ['train_prefs'],
    tokenizerDir: join(dir, 'tok'),
    trainer: 'simpo' as const,
    maxLength: 2048,
    maxPromptLength: 1800,
    cacheDir: join(dir, 'cache'),
    workers,
  };
  const t1 = performance.now();
  const d = await preparePreferenceData(opts);
  const cold = (performance.now() - t1) / 1000;
  let tokens = 0;
  for (const p of d.train) tokens += p.chosenIds.length + p.rejectedIds.length;
  const promptTok = d.train.reduce((s, p) => s + p.chosenPromptLen, 0) / d.train.length;
  console.log(`cold: ${d.train.length} pairs in ${cold.toFixed(1)} s = ${(d.train.length / cold).toFixed(0)} pairs/s, ${(tokens / cold / 1000).toFixed(0)}k tokens/s (mean prompt ${promptTok.toFixed(0)} tokens, mean pair ${(tokens / d.train.length).toFixed(0)} tokens)`);
  for (const n of d.summary.notices) console.log(`notice: ${n}`);
  const t2 = performance.now();
  const again = await preparePreferenceData(opts);
  const warm = (performance.now() - t2) / 1000;
  console.log(`cached restart: ${warm.toFixed(2)} s (fromCache ${again.fromCache}), ${(cold / warm).toFixed(0)}× faster`);
  console.log(`peak RSS (main thread process): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
