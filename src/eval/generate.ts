/**
 * Batched generation on poet's engine, with a KV cache (or without, for the benchmark).
 *
 * Prompts are token ids; rows of a batch are LEFT-padded to a common length, prefilled once, then
 * decoded one token per step for every unfinished row. A row finishes at an EOS / stop token id, when its
 * decoded text contains a stop string (cut there), or at max_new_tokens.
 *
 * Sampling uses one seeded generator per prompt (seed + prompt index), so outputs do not depend on the
 * batch size or on which prompts share a batch. Greedy when temperature = 0.
 *
 * The original's AlpacaEval decoder turned `do_sample: true` into vLLM beam search (width 1) — spec §6.2,
 * §8.17. poet samples when asked to sample (temperature > 0) and is greedy at temperature 0; see
 * docs/evaluation.md.
 */
import type { CausalLM } from '../models/index.ts';
import type { PoetTokenizer } from '../tokenizer/index.ts';
import { Rng } from '../util/rng.ts';
import { sampleToken, type SamplingOptions } from './sampling.ts';

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  /** Token ids that end a sequence (EOS ids are added by the caller). Not included in the text. */
  stopTokenIds: number[];
  /** Strings that end a sequence; the text is cut before the first occurrence. */
  stopStrings: string[];
  seed: number;
  batchSize: number;
  /** false: recompute the whole prefix every step (benchmark baseline). Default true. */
  useCache?: boolean;
  onProgress?: (doneSequences: number, generatedTokens: number) => void;
}

export interface Generation {
  text: string;
  tokenIds: number[];
  finishReason: 'stop' | 'length';
}

/** Generate for each prompt (token ids, already templated, BOS included where wanted). */
export function generateIds(model: CausalLM, tokenizer: PoetTokenizer, prompts: number[][], o: GenerateOptions): Generation[] {
  const out: Generation[] = new Array(prompts.length);
  // Batch prompts of similar length together (less padding); results do not depend on the grouping.
  const order = prompts.map((p, i) => [p.length, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((x) => x[1]);
  const stopIds = new Set(o.stopTokenIds);
  const V = model.config.vocab_size;
  const scratch = new Float64Array(V);
  let done = 0;
  let tokens = 0;
  for (let s = 0; s < order.length; s += o.batchSize) {
    const idx = order.slice(s, s + o.batchSize);
    const B = idx.length;
    const T = Math.max(...idx.map((i) => prompts[i]!.length));
    const padLeft = new Int32Array(B);
    const ids = new Int32Array(B * T);
    idx.forEach((pi, b) => {
      const p = prompts[pi]!;
      padLeft[b] = T - p.length;
      // pad slots hold a valid id (0); attention never sees them
      ids.set(p, b * T + (T - p.length));
    });
    const rngs = idx.map((pi) => new Rng((o.seed + pi * 0x9e3779b1) >>> 0));
    const gen: number[][] = idx.map(() => []);
    const finished: (Generation['finishReason'] | null)[] = idx.map(() => null);
    const texts: (string | null)[] = idx.map(() => null);
    const useCache = o.useCache ?? true;
    const cache = useCache ? model.createKVCache(B, T + o.maxNewTokens) : null;
    let logits = cache ? model.prefill(cache, ids, B, T, padLeft) : model.forwardLogits(ids, B, T, { padLeft });
    let seq = ids;
    let seqLen = T;
    for (let step = 0; step < o.maxNewTokens; step++) {
      const next = new Int32Array(B);
      for (let b = 0; b < B; b++) {
        if (finished[b]) continue;
        const tok = sampleToken(logits, b * V, V, o, rngs[b]!, scratch);
        next[b] = tok;
        if (stopIds.has(tok)) {
          finished[b] = 'stop';
          continue;
        }
        gen[b]!.push(tok);
        tokens++;
        if (o.stopStrings.length > 0) {
          const text = tokenizer.decode(gen[b]!, { skipSpecialTokens: false });
          const cut = firstStop(text, o.stopStrings);
          if (cut >= 0) {
            texts[b] = text.slice(0, cut);
            finished[b] = 'stop';
          }
        }
        if (!finished[b] && gen[b]!.length >= o.maxNewTokens) finished[b] = 'length';
      }
      if (finished.every((f) => f !== null)) break;
      if (cache) {
        logits = model.decodeStep(cache, next);
      } else {
        const grown = new Int32Array(B * (seqLen + 1));
        for (let b = 0; b < B; b++) {
          grown.set(seq.subarray(b * seqLen, (b + 1) * seqLen), b * (seqLen + 1));
          grown[b * (seqLen + 1) + seqLen] = next[b]!;
        }
        seq = grown;
        seqLen += 1;
        logits = model.forwardLogits(seq, B, seqLen, { padLeft });
      }
      o.onProgress?.(done, tokens);
    }
    idx.forEach((pi, b) => {
      const reason = finished[b] ?? 'length';
      const text = texts[b] ?? tokenizer.decode(gen[b]!, { skipSpecialTokens: true });
      out[pi] = { text, tokenIds: gen[b]!, finishReason: reason };
    });
    done += B;
    o.onProgress?.(done, tokens);
  }
  return out;
}

function firstStop(text: string, stops: string[]): number {
  let best = -1;
  for (const s of stops) {
    const i = text.indexOf(s);
    if (i >= 0 && (best < 0 || i < best)) best = i;
  }
  return best;
}

/**
 * Token ids of a prompt string as training saw them: no automatic special tokens (the template carries
 * its own BOS string where it has one), and BOS prepended when the text does not start with it — the
 * same rule as tokenize_row (spec §3.5 item 5), so a Zephyr-templated prompt gets its `<s>` as in training.
 */
export function encodePrompt(tokenizer: PoetTokenizer, text: string): number[] {
  const ids = tokenizer.encode(text, { addSpecialTokens: false });
  const bos = tokenizer.bosTokenId;
  if (bos !== null && ids[0] !== bos) ids.unshift(bos);
  return ids;
}
