/**
 * Generation on the bench model: tokens/s at batch 1 and batch 16, and per-token latency with the KV cache
 * vs without (full recomputation of the prefix every step), side by side in one run.
 *
 * Usage: node --import tsx bench/generation.ts [--new=N] [--prompt=N] [--backend=native|js]
 */
import { setBackend } from '../src/backend/index.ts';
import { generateIds } from '../src/eval/generate.ts';
import { initWeights, presetConfig } from '../src/io/init_model.ts';
import { createModel } from '../src/models/index.ts';
import type { PoetTokenizer } from '../src/tokenizer/index.ts';
import { Rng } from '../src/util/rng.ts';

const argv = process.argv.slice(2);
const opt = (n: string) => argv.find((a) => a.startsWith(`--${n}=`))?.split('=')[1];
const newTokens = Number(opt('new') ?? 64);
const promptLen = Number(opt('prompt') ?? 64);
const backend = setBackend(opt('backend') ?? 'native');
const cfg = presetConfig('llama', 'bench', { vocabSize: 2048, bosTokenId: 1, eosTokenId: 2, padTokenId: 0 });
const model = createModel(cfg, initWeights(cfg, 0), backend);
// Generation needs decode() only for stop strings, which the benchmark does not use.
const tok = { decode: () => '' } as unknown as PoetTokenizer;
const rng = new Rng(3);
const prompts = (n: number) => Array.from({ length: n }, () => Array.from({ length: promptLen }, () => 3 + rng.int(cfg.vocab_size - 3)));

function time(batch: number, useCache: boolean) {
  const ps = prompts(batch);
  const o = { temperature: 0, topP: 1, topK: 0, maxNewTokens: newTokens, stopTokenIds: [], stopStrings: [], seed: 1, batchSize: batch, useCache };
  generateIds(model, tok, ps.map((p) => p.slice(0, 8)), { ...o, maxNewTokens: 4 }); // warm-up
  const t0 = performance.now();
  const g = generateIds(model, tok, ps, o);
  const ms = performance.now() - t0;
  const n = g.reduce((a, x) => a + x.tokenIds.length, 0);
  return { ms, tokens: n, tokS: (n / ms) * 1000, msPerStep: ms / newTokens };
}

console.log(`# generation, bench model (${backend.name} backend), prompt ${promptLen} tokens, ${newTokens} new tokens, greedy`);
console.log('| batch | KV cache | tokens/s | ms per decode step | cache speed-up |');
console.log('|---|---|---|---|---|');
for (const batch of [1, 16]) {
  const c = time(batch, true);
  const n = time(batch, false);
  console.log(`| ${batch} | yes | ${c.tokS.toFixed(0)} | ${c.msPerStep.toFixed(1)} | ${(n.ms / c.ms).toFixed(1)}× |`);
  console.log(`| ${batch} | no | ${n.tokS.toFixed(0)} | ${n.msPerStep.toFixed(1)} | 1.0× |`);
}
