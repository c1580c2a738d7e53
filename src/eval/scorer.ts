/**
 * The bridge from `poet eval tasks --model DIR` to the model engine: a LanguageModelScorer (lm-eval's `LM`
 * API) over poet's CausalLM.
 *
 * loglikelihood(context, continuation), as lm-eval 0.4's HFLM does it:
 *   - trailing spaces of the context move to the continuation (`_encode_pair`);
 *   - whole = encode(context + continuation), ctx = encode(context), continuation tokens = whole[len(ctx):]
 *     (so a token merged across the boundary is attributed to the continuation);
 *   - no automatic special tokens; BOS is prepended when the tokenizer has one (HFLM prepends the
 *     tokenizer's prefix token only for an empty context by default — a documented difference that keeps
 *     scoring consistent with how poet trains: every sequence starts with BOS);
 *   - logprob = Σ log p(continuation tokens), isGreedy = every continuation token is the argmax.
 * generateUntil: greedy, stop strings cut the text (src/eval/generate.ts).
 * Requests are batched (right-padded rows, one forward each) to amortise the engine's per-call cost.
 */
import { loadModelDir } from '../io/model_dir.ts';
import { createModel, IGNORE_INDEX, type CausalLM } from '../models/index.ts';
import { loadTokenizer, type PoetTokenizer } from '../tokenizer/index.ts';
import { encodePrompt, generateIds } from './generate.ts';
import type { GenerateRequest, LanguageModelScorer, LoglikelihoodRequest, LoglikelihoodResult } from './tasks/types.ts';

export interface EngineScorerOptions {
  batchSize?: number;
  /** Longest sequence scored; longer ones keep their last tokens (left truncation, as lm-eval). */
  maxLength?: number;
}

export class EngineScorer implements LanguageModelScorer {
  constructor(
    readonly model: CausalLM,
    readonly tokenizer: PoetTokenizer,
    private readonly opts: EngineScorerOptions = {},
  ) {}

  private encodePair(context: string, continuation: string): { ctx: number[]; cont: number[] } {
    const m = /\s+$/.exec(context);
    if (m) {
      continuation = context.slice(m.index) + continuation;
      context = context.slice(0, m.index);
    }
    const whole = this.tokenizer.encode(context + continuation, { addSpecialTokens: false });
    const ctxIds = context === '' ? [] : this.tokenizer.encode(context, { addSpecialTokens: false });
    const bos = this.tokenizer.bosTokenId ?? this.tokenizer.eosTokenId;
    const prefix = bos !== null ? [bos] : [];
    return { ctx: [...prefix, ...whole.slice(0, ctxIds.length)], cont: whole.slice(ctxIds.length) };
  }

  loglikelihood(requests: LoglikelihoodRequest[]): LoglikelihoodResult[] {
    const bs = this.opts.batchSize ?? 8;
    const maxLen = this.opts.maxLength ?? this.model.config.max_position_embeddings;
    const V = this.model.config.vocab_size;
    const out: LoglikelihoodResult[] = [];
    for (let s = 0; s < requests.length; s += bs) {
      const chunk = requests.slice(s, s + bs).map((r) => {
        const { ctx, cont } = this.encodePair(r.context, r.continuation);
        let seq = [...ctx, ...cont];
        if (seq.length > maxLen + 1) seq = seq.slice(seq.length - maxLen - 1);
        return { seq, nCont: cont.length };
      });
      const B = chunk.length;
      // inputs = seq[:-1], the log-prob at t scores seq[t+1]
      const T = Math.max(...chunk.map((c) => c.seq.length - 1), 1);
      const ids = new Int32Array(B * T);
      const targets = new Int32Array(B * T).fill(IGNORE_INDEX);
      chunk.forEach((c, b) => {
        const n = c.seq.length - 1;
        for (let t = 0; t < n; t++) {
          ids[b * T + t] = c.seq[t]!;
          if (t >= n - c.nCont) targets[b * T + t] = c.seq[t + 1]!;
        }
      });
      const logits = this.model.forwardLogits(ids, B, T, { allPositions: true });
      chunk.forEach((c, b) => {
        const n = c.seq.length - 1;
        let lp = 0;
        let greedy = true;
        for (let t = n - c.nCont; t < n; t++) {
          const o = (b * T + t) * V;
          let max = -Infinity;
          let arg = 0;
          for (let v = 0; v < V; v++) {
            if (logits[o + v]! > max) {
              max = logits[o + v]!;
              arg = v;
            }
          }
          let sum = 0;
          for (let v = 0; v < V; v++) sum += Math.exp(logits[o + v]! - max);
          const target = targets[b * T + t]!;
          lp += logits[o + target]! - max - Math.log(sum);
          if (arg !== target) greedy = false;
        }
        out.push({ logprob: lp, isGreedy: greedy });
      });
    }
    return out;
  }

  generateUntil(requests: GenerateRequest[]): string[] {
    const out: string[] = [];
    // One request at a time: requests may differ in max tokens and stop strings.
    for (const r of requests) {
      const [g] = generateIds(this.model, this.tokenizer, [encodePrompt(this.tokenizer, r.context)], {
        temperature: 0,
        topP: 1,
        topK: 0,
        maxNewTokens: r.maxNewTokens,
        stopTokenIds: this.tokenizer.eosTokenId !== null ? [this.tokenizer.eosTokenId] : [],
        stopStrings: r.until,
        seed: 0,
        batchSize: 1,
      });
      out.push(g!.text);
    }
    return out;
  }
}

export async function createScorer(modelDir: string, opts: EngineScorerOptions = {}): Promise<LanguageModelScorer> {
  const loaded = loadModelDir(modelDir);
  const tokenizer = await loadTokenizer(modelDir);
  const model = createModel(loaded.config, loaded.weights);
  model.training = false;
  return new EngineScorer(model, tokenizer, opts);
}
