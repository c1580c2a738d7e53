/**
 * One full training step (forward, backward, AdamW) of the standard bench model in poet, in its own
 * process (peak RSS is per process). Same model and step as bench/torch_step.py: Llama-style, vocab 2048,
 * hidden 256, 4 layers, 4 heads, SwiGLU 688, RMSNorm, RoPE, untied head, batch 4 × 128 random tokens, fp32,
 * loss = mean next-token cross-entropy = −mean(log p), AdamW (lr 1e-3, wd 0.01).
 *
 * Usage: node --import tsx bench/step_poet.ts <native|js> <steps> <warmup>
 * Prints one JSON line: {"engine", "ms": [...], "loss0", "lossLast", "peakRssMB"} (the same batch every step,
 * so the loss must fall: a check that the step really trains).
 */
import { setBackend } from '../src/backend/index.ts';
import { presetConfig } from '../src/io/init_model.ts';
import { initWeights } from '../src/io/init_model.ts';
import { createModel } from '../src/models/index.ts';
import { Rng } from '../src/util/rng.ts';

const [backendName = 'native', stepsArg = '10', warmupArg = '2'] = process.argv.slice(2);
const steps = Number(stepsArg);
const warmup = Number(warmupArg);
const backend = setBackend(backendName);
if (backend.name !== backendName) {
  console.log(JSON.stringify({ engine: `poet ${backendName}`, error: `backend ${backendName} unavailable` }));
  process.exit(0);
}

const B = 4;
const T = 128;
const cfg = presetConfig('llama', 'bench', { vocabSize: 2048, bosTokenId: null, eosTokenId: null, padTokenId: null });
const model = createModel(cfg, initWeights(cfg, 0), backend);
const rng = new Rng(1);
const ids = new Int32Array(B * (T + 1));
for (let i = 0; i < ids.length; i++) ids[i] = Math.floor(rng.next() * cfg.vocab_size) % cfg.vocab_size;
const input = new Int32Array(B * T);
const targets = new Int32Array(B * T);
for (let b = 0; b < B; b++) {
  for (let t = 0; t < T; t++) {
    input[b * T + t] = ids[b * (T + 1) + t];
    targets[b * T + t] = ids[b * (T + 1) + t + 1];
  }
}

// AdamW state per parameter (zeros), as torch.optim.AdamW allocates it lazily on the first step.
const params = [...model.parameters.values()];
const moments = params.map((p) => ({ m: new Float32Array(p.size), v: new Float32Array(p.size) }));
const dLogps = new Float32Array(B * T).fill(-1 / (B * T)); // d(−mean log p)/d log p

const times: number[] = [];
let loss0: number | null = null;
let lossLast = NaN;
for (let step = 1; step <= warmup + steps; step++) {
  const t0 = performance.now();
  model.zeroGrad();
  const r = model.forwardLogprobs(input, targets, B, T);
  let loss = 0;
  for (let i = 0; i < r.logps.length; i++) loss -= r.logps[i];
  loss /= B * T;
  r.backward(dLogps);
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    backend.adamw({
      param: p.data, grad: p.grad!, m: moments[i].m, v: moments[i].v, len: p.size,
      lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step, gradScale: 1,
    });
  }
  const dt = performance.now() - t0;
  loss0 ??= loss;
  lossLast = loss;
  if (step > warmup) times.push(dt);
}
const peakRssMB = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify({ engine: `poet ${backend.name}`, ms: times, loss0, lossLast, peakRssMB }));
