/**
 * DPO+POET training step on the bench model with realistic pair lengths: tokens/s and step time with POET
 * physical cutting vs POET by masking (the original's way: full sequences forwarded, tail masked) vs no
 * POET, side by side in one run, and the share of response tokens POET cuts.
 *
 * Pairs: random token ids with UltraFeedback-like length statistics scaled to the bench model — prompt
 * 16–96 tokens, chosen and rejected responses drawn independently from 24–232 tokens (so |chosen| and
 * |rejected| differ as in real data). One step = policy forward + backward for 8 pairs, reference forward,
 * DPO sigmoid loss, AdamW.
 *
 * Usage: node --import tsx bench/poet_cut.ts [--steps=N] [--backend=native|js]
 * Target (issue "Trainers"): the POET step time shrinks at least in proportion to the tokens cut.
 */
import { setBackend } from '../src/backend/index.ts';
import { buildPairBatch, type PairBatchOptions } from '../src/data/batch.ts';
import type { TokenizedPair } from '../src/data/types.ts';
import { initWeights, presetConfig } from '../src/io/init_model.ts';
import { createLossState, dpoLossOptions } from '../src/losses/index.ts';
import { createModel } from '../src/models/index.ts';
import { AdamW } from '../src/train/optimizer.ts';
import { pairStep } from '../src/train/pair_step.ts';
import { Rng } from '../src/util/rng.ts';

const argv = process.argv.slice(2);
const opt = (n: string) => argv.find((a) => a.startsWith(`--${n}=`))?.split('=')[1];
const steps = Number(opt('steps') ?? 6);
const backend = setBackend(opt('backend') ?? 'native');

const cfg = presetConfig('llama', 'bench', { vocabSize: 2048, bosTokenId: 1, eosTokenId: 2, padTokenId: 0 });
const rng = new Rng(7);
const int = (lo: number, hi: number) => lo + rng.int(hi - lo + 1);
const seq = (n: number) => Int32Array.from({ length: n }, () => 3 + rng.int(cfg.vocab_size - 3));
const B = 8;
const batches: TokenizedPair[][] = Array.from({ length: steps + 1 }, () =>
  Array.from({ length: B }, () => {
    const p = seq(int(16, 96));
    const c = seq(int(24, 232));
    const r = seq(int(24, 232));
    const cat = (a: Int32Array, b: Int32Array) => {
      const o = new Int32Array(a.length + b.length);
      o.set(a);
      o.set(b, a.length);
      return o;
    };
    return { chosenIds: cat(p, c), chosenPromptLen: p.length, rejectedIds: cat(p, r), rejectedPromptLen: p.length, truncation: 0 };
  }),
);

interface Variant {
  name: string;
  opts: PairBatchOptions;
}
const variants: Variant[] = [
  { name: 'no POET', opts: { padId: 0, usePoet: false, needTail: false } },
  { name: 'POET, masked (original)', opts: { padId: 0, usePoet: true, needTail: false, cut: false } },
  { name: 'POET, cut (poet)', opts: { padId: 0, usePoet: true, needTail: false, cut: true } },
];

// One policy and one reference serve every variant (compute does not depend on the weights' values), and
// the variants alternate step by step, so machine noise and allocator warm-up hit them alike. Median times.
const policy = createModel(cfg, initWeights(cfg, 0), backend);
const reference = createModel(cfg, initWeights(cfg, 0), backend);
for (const p of reference.parameters.values()) p.requiresGrad = false;
const adam = new AdamW(backend, [...policy.parameters.values()], { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 });
const lossState = createLossState();
const stats = variants.map(() => ({ times: [] as number[], tokens: 0, positions: 0, respTokens: 0, scored: 0 }));
for (let s = 0; s <= steps; s++) {
  variants.forEach((v, vi) => {
    const t0 = performance.now();
    const batch = buildPairBatch(batches[s]!, v.opts);
    policy.zeroGrad();
    const r = pairStep({ policy, reference, batch, loss: dpoLossOptions({ beta: 0.1 }), lossState, scale: 1, train: true });
    const tA = performance.now();
    adam.step(1e-5);
    const ms = performance.now() - t0;
    if (process.env.POET_BENCH_DEBUG) console.error(v.name, 'L', batch.length, 'step', (tA - t0).toFixed(0), 'adam', (performance.now() - tA).toFixed(0));
    if (s === 0) return; // warm-up
    const st = stats[vi]!;
    st.times.push(ms);
    st.tokens += r.tokens;
    st.positions += 2 * B * batch.length;
    for (let i = 0; i < 2 * B; i++) {
      st.respTokens += batch.responseLens[i]!;
      st.scored += batch.scoredCounts[i]!;
    }
  });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
function run(vi: number) {
  const st = stats[vi]!;
  const n = st.times.length;
  const ms = median(st.times);
  return { ms, tokPerStep: st.tokens / n, posPerStep: st.positions / n, tokS: (st.tokens / n / ms) * 1000, cutShare: 1 - st.scored / st.respTokens };
}

console.log(`# DPO+POET step, bench model (${backend.name} backend), ${B} pairs per step, ${steps} timed steps`);
const res = variants.map((v, vi) => ({ v, r: run(vi) }));
const base = res[0]!.r;
console.log('| variant | step ms | real tokens / step | padded positions / step | real tokens/s | step time vs no POET | real tokens vs no POET | positions vs no POET | scored response tokens cut |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const { v, r } of res) {
  console.log(
    `| ${v.name} | ${r.ms.toFixed(0)} | ${r.tokPerStep.toFixed(0)} | ${r.posPerStep.toFixed(0)} | ${r.tokS.toFixed(0)} | ${(r.ms / base.ms).toFixed(2)}× | ${(r.tokPerStep / base.tokPerStep).toFixed(2)}× | ${(r.posPerStep / base.posPerStep).toFixed(2)}× | ${v.opts.usePoet ? `${(100 * r.cutShare).toFixed(1)}%` : '—'} |`,
  );
}
const cut = res[2]!.r;
const masked = res[1]!.r;
const tokenRatio = cut.tokPerStep / masked.tokPerStep;
const timeRatio = cut.ms / masked.ms;
console.log(`\ncutting vs masking: ${(100 * (1 - tokenRatio)).toFixed(1)}% fewer real tokens forwarded (${(100 * (1 - cut.posPerStep / masked.posPerStep)).toFixed(1)}% fewer padded positions), step time ×${timeRatio.toFixed(2)} ` +
  `(target: ≤ ×${tokenRatio.toFixed(2)}, i.e. time shrinks at least in proportion) → ${timeRatio <= tokenRatio * 1.05 ? 'met' : 'not met'}`);
