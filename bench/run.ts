/**
 * poet's engine benchmarks (`npm run bench`). Prints markdown tables side by side:
 *   (a) GEMM GFLOP/s: native, js, PyTorch (+ native/torch ratio) on 1024³ and the bench model's shapes;
 *   (b) one training step of the bench model: native vs PyTorch (and js with --js-step), ms, tokens/s,
 *       peak RSS, each engine in its own process;
 *   (c) a DPO+POET step with POET's physical cutting vs masking vs no POET (bench/poet_cut.ts);
 *   (d) generation tokens/s at batch 1 and 16, with and without the KV cache (bench/generation.ts);
 *   (e) the data pipeline on 60 000 UltraFeedback-shaped pairs, and its cached restart (bench/data.ts).
 * PyTorch runs at its best on this machine: torch.set_num_threads(1) with OPENBLAS_NUM_THREADS=2 (Debian's
 * libopenblas0-pthread), OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset for that command only. It is skipped,
 * with a note, when `/usr/bin/python3 -c "import torch"` fails.
 *
 * Options: --only=gemm|step|poet|gen|data   --quick (one short round)   --js-step (also time the js backend's step; slow)
 *          --steps=N (default 10)   --rounds=N (alternating rounds per engine, best kept; default 3, step ≤ 2)
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { fileURLToPath } from 'node:url';
import { getJsBackend } from '../src/backend/index.ts';
import { loadNativeBackend, nativeInfo, addonLoadError } from '../src/backend/native/index.ts';
import { benchGemm, GEMM_SHAPES, type GemmResult } from './gemm_poet.ts';

const argv = process.argv.slice(2);
const opt = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const only = opt('only');
const quick = argv.includes('--quick');
const jsStep = argv.includes('--js-step');
const steps = Number(opt('steps') ?? (quick ? 5 : 10));
const PY = '/usr/bin/python3';
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

function torchEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: "2" };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

const torchOk = spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
const native = loadNativeBackend();
const js = getJsBackend();

const fmt = (x: number | undefined, d = 1) => (x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`# poet benchmarks — ${new Date().toISOString()}`);
console.log(`machine: ${os.cpus()[0]?.model ?? '?'}, ${os.cpus().length} logical CPUs, load avg ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log(`native: ${native ? JSON.stringify(nativeInfo()) : `unavailable (${addonLoadError()})`}`);
console.log(`torch: ${torchOk ? `${PY} (torch.set_num_threads(1), OPENBLAS_NUM_THREADS=2)` : `skipped: ${PY} -c "import torch" failed`}`);
if (os.loadavg()[0] > 0.5) console.log('note: the machine is busy (load average above); timings are noisy.');
console.log('');

// Other load on the machine only ever slows a run down, so each engine is measured in several rounds that
// alternate between the engines, and the best round counts (the median within a round is shown too).
const rounds = Number(opt('rounds') ?? (quick ? 1 : 3));

if (!only || only === 'gemm') {
  const minMs = quick ? 200 : 400;
  const nat: (GemmResult | null)[] = GEMM_SHAPES.map(() => null);
  let torch: { gflops: number; median: number }[] | null = null;
  for (let round = 0; round < rounds; round++) {
    if (native) {
      GEMM_SHAPES.forEach((s, i) => {
        const r = benchGemm(native, s, minMs);
        if (!nat[i] || r.best > nat[i]!.best) nat[i] = r;
      });
    }
    if (torchOk) {
      const shapes = JSON.stringify(GEMM_SHAPES.map(({ m, n, k, transA, transB }) => ({ m, n, k, transA: !!transA, transB: !!transB })));
      const r = spawnSync(PY, [here('./torch_gemm.py'), shapes, String(minMs / 1000)], { env: torchEnv(), encoding: 'utf8' });
      if (r.status === 0) {
        const res = JSON.parse(r.stdout.trim().split('\n').pop()!).results as { gflops: number; median: number }[];
        torch = torch ? torch.map((t, i) => (res[i].gflops > t.gflops ? res[i] : t)) : res;
      } else {
        console.log(`torch GEMM failed: ${r.stderr.trim().split('\n').pop()}`);
      }
    }
  }
  // js is ~100× slower: one timed run per shape (the cube takes seconds).
  const jsr: GemmResult[] = GEMM_SHAPES.map((s) => benchGemm(js, s, 0, 1));
  console.log(`## (a) GEMM, GFLOP/s (best run of ${rounds} alternating round(s); that round's median in parentheses)\n`);
  console.log('| shape m×n×k | native | js | PyTorch | native / PyTorch |');
  console.log('|---|---|---|---|---|');
  GEMM_SHAPES.forEach((s, i) => {
    const n = nat[i];
    const t = torch?.[i];
    const ratio = n && t ? `${(n.best / t.gflops).toFixed(2)}×` : '—';
    console.log(`| ${s.label}: ${s.m}×${s.n}×${s.k} | ${n ? `${fmt(n.best)} (${fmt(n.median)})` : '—'} | ${fmt(jsr[i].best, 2)} | ${t ? `${fmt(t.gflops)} (${fmt(t.median)})` : '—'} | ${ratio} |`);
  });
  console.log('');
}

interface StepResult {
  engine: string;
  ms?: number[];
  loss0?: number;
  lossLast?: number;
  peakRssMB?: number;
  error?: string;
}

function runStep(cmd: string, args: string[], env: NodeJS.ProcessEnv): StepResult {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 1 << 24 });
  const last = r.stdout?.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !last.startsWith('{')) {
    return { engine: `${cmd} ${args[args.length - 3] ?? ''}`, error: (r.stderr || r.stdout || '').trim().split('\n').slice(-3).join(' / ') };
  }
  return JSON.parse(last) as StepResult;
}

if (!only || only === 'step') {
  const tokens = 4 * 128;
  const node = process.execPath;
  const stepTs = here('./step_poet.ts');
  // Alternate the engines; keep each engine's round with the lowest median.
  const pick = (prev: StepResult | undefined, next: StepResult): StepResult =>
    !prev?.ms || (next.ms && median(next.ms) < median(prev.ms)) ? next : prev;
  let nat: StepResult | undefined;
  let tor: StepResult | undefined;
  const stepRounds = Math.max(1, Math.min(rounds, 2));
  for (let round = 0; round < stepRounds; round++) {
    if (native) nat = pick(nat, runStep(node, ['--import', 'tsx', stepTs, 'native', String(steps), '2'], process.env));
    if (torchOk) tor = pick(tor, runStep(PY, [here('./torch_step.py'), String(steps), '2'], torchEnv()));
  }
  const results: StepResult[] = [nat, tor].filter((r): r is StepResult => r !== undefined);
  if (jsStep) results.push(runStep(node, ['--import', 'tsx', stepTs, 'js', '1', '0'], process.env));
  const torch = results.find((r) => r.engine.startsWith('torch') && r.ms);
  console.log('## (b) Training step of the bench model (Llama-style, V 2048, d 256, 4 layers, 4 heads, SwiGLU 688, batch 4×128, fp32, AdamW)\n');
  console.log('| engine | step ms (median) | step ms (min) | tokens/s | peak RSS MB | loss first → last step | speed vs PyTorch | RSS vs PyTorch |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    if (!r.ms) {
      console.log(`| ${r.engine} | failed: ${r.error} | | | | | | |`);
      continue;
    }
    const med = median(r.ms);
    const tmed = torch?.ms ? median(torch.ms) : undefined;
    const speed = tmed ? `${(tmed / med).toFixed(2)}×` : '—';
    const rss = torch?.peakRssMB && r.peakRssMB ? `${(r.peakRssMB / torch.peakRssMB).toFixed(2)}×` : '—';
    console.log(`| ${r.engine} | ${fmt(med)} | ${fmt(Math.min(...r.ms))} | ${fmt((tokens / med) * 1000, 0)} | ${fmt(r.peakRssMB, 0)} | ${fmt(r.loss0, 4)} → ${fmt(r.lossLast, 4)} | ${speed} | ${rss} |`);
  }
  console.log('');
}

// (c)–(e): the trainer's POET cutting, generation, and the data pipeline; each in its own process so that
// peak RSS and timings are its own. Their scripts print their own markdown tables.
const sections: [string, string, string[]][] = [
  ['poet', '## (c) DPO+POET step: physical cutting vs masking vs no POET', [here('./poet_cut.ts'), `--steps=${quick ? 3 : 6}`]],
  ['gen', '## (d) Generation: batch 1 and 16, KV cache vs full recomputation', [here('./generation.ts'), `--new=${quick ? 16 : 64}`]],
  ['data', '## (e) Data pipeline: format + tokenize UltraFeedback-shaped pairs (Llama-3 vocabulary)', [here('./data.ts'), '--pairs', quick ? '4000' : '60000']],
];
for (const [name, title, args] of sections) {
  if (only && only !== name) continue;
  console.log(`${title}\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  process.stdout.write(r.stdout);
  if (r.status !== 0) console.log(`(failed: ${r.stderr.trim().split('\n').pop()})`);
  console.log('');
}
