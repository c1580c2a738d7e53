/**
 * Next-token selection from one row of logits [V]: greedy (temperature 0), or sampling with temperature,
 * top-k and top-p (nucleus) filtering in HF's order (temperature → top-k → top-p), then a draw from
 * the row's own seeded generator. Per-request generators make results independent of batch composition.
 */
import type { Rng } from '../util/rng.ts';

export interface SamplingOptions {
  /** 0 = greedy. */
  temperature: number;
  /** 1 = off. Keep the smallest set of most likely tokens whose probability reaches top_p. */
  topP: number;
  /** 0 = off. */
  topK: number;
}

export function argmax(logits: Float32Array, offset = 0, V = logits.length - offset): number {
  let best = offset;
  for (let i = offset + 1; i < offset + V; i++) if (logits[i]! > logits[best]!) best = i;
  return best - offset;
}

/**
 * Pick the next token from logits[offset … offset+V). `scratch` must hold V floats (reused buffer).
 */
export function sampleToken(logits: Float32Array, offset: number, V: number, o: SamplingOptions, rng: Rng, scratch: Float64Array): number {
  if (o.temperature <= 0) return argmax(logits, offset, V);
  let max = -Infinity;
  for (let i = 0; i < V; i++) max = Math.max(max, logits[offset + i]!);
  // softmax(logits / T), in double precision
  let sum = 0;
  for (let i = 0; i < V; i++) {
    const p = Math.exp((logits[offset + i]! - max) / o.temperature);
    scratch[i] = p;
    sum += p;
  }
  for (let i = 0; i < V; i++) scratch[i]! /= sum;
  const filtering = (o.topK > 0 && o.topK < V) || o.topP < 1;
  if (filtering) {
    const idx = Array.from({ length: V }, (_, i) => i).sort((a, b) => scratch[b]! - scratch[a]! || a - b);
    let keep = o.topK > 0 ? Math.min(o.topK, V) : V;
    if (o.topP < 1) {
      let acc = 0;
      let n = 0;
      while (n < keep) {
        acc += scratch[idx[n]!]!;
        n++;
        if (acc >= o.topP) break;
      }
      keep = Math.max(1, n);
    }
    let kept = 0;
    for (let r = 0; r < keep; r++) kept += scratch[idx[r]!]!;
    let u = rng.next() * kept;
    for (let r = 0; r < keep; r++) {
      u -= scratch[idx[r]!]!;
      if (u <= 0) return idx[r]!;
    }
    return idx[keep - 1]!;
  }
  let u = rng.next();
  for (let i = 0; i < V; i++) {
    u -= scratch[i]!;
    if (u <= 0) return i;
  }
  return V - 1;
}
