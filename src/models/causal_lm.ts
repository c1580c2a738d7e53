/**
 * CausalLM: the decoder-only transformer shared by every supported family (traits from llama.ts,
 * qwen2.ts, gemma2.ts), with the API the trainer and the generator use.
 *
 * Build
 *   createModel(cfg, weights)            (src/models/index.ts) — weights: HF name → Float32Array (fp32,
 *                                        HF layout: Linear weight [out, in]); names/shapes from params.ts.
 *   model.parameters                     Map<HF name, Parameter> in HF order; Parameter.data / .grad.
 *
 * Training / scoring (sequences RIGHT-padded, so causal attention is exact for the real tokens)
 *   const r = model.forwardLogprobs(inputIds, targets, B, T)     // Int32Array [B·T] each, targets −100 = ignored
 *   r.logps      Float32Array [B·T]   log p(target | prefix) per position, 0 where ignored
 *   r.logitSums  Float64Array [B]     Σ over T×V of the (capped) logits of each row, for `logits/*` metrics
 *   r.backward(dLogps)                accumulates d(loss)/d(param) into Parameter.grad (once), frees buffers
 *   r.release()                       frees buffers without backward (also what {requiresGrad:false} does)
 *   model.zeroGrad()
 *   Shift convention: targets[b,t] is the token predicted AT position t (i.e. labels shifted left by one);
 *   the caller builds it.
 *
 * Generation
 *   model.forwardLogits(ids, B, T, {padLeft, allPositions})   no cache: full forward → logits
 *   const c = model.createKVCache(B, capacity)
 *   model.prefill(c, ids, B, T, padLeft)  → Float32Array [B, V] logits of each row's last slot
 *   model.decodeStep(c, tokens[B])        → Float32Array [B, V]
 *   Prompts are LEFT-padded; padLeft[b] = number of pad slots at the start of row b. Pad keys are
 *   invisible (attention firstKey) and positions count from the first real token (HF generate's
 *   position_ids = cumsum(attention_mask) − 1), so results match unpadded rows.
 *
 * Modes: these families have no dropout, so train()/eval() only set a flag (`training`) for callers.
 * `gradientCheckpointing = true` keeps only each decoder layer's input during forward and recomputes the
 * layer inside backward (less memory, ~1 extra forward of compute).
 * Memory: all activations come from `this.pool` (see src/tensor/pool.ts) and are reused step after step.
 */
import { getBackend } from '../backend/index.ts';
import type { Backend } from '../backend/types.ts';
import { lmHeadLogits, lmHeadLogprobs } from '../tensor/lm_head.ts';
import * as ops from '../tensor/ops.ts';
import { BufferPool } from '../tensor/pool.ts';
import { buildRopeTables } from '../tensor/rope_tables.ts';
import { Tape } from '../tensor/tape.ts';
import { Parameter, Tensor } from '../tensor/tensor.ts';
import { PoetError } from '../util/errors.ts';
import { layerUsesSlidingWindow, type ModelConfig } from './config.ts';
import type { Family, FamilyTraits } from './family.ts';
import { EMBED_NAME, FINAL_NORM_NAME, LM_HEAD_NAME, layerNormNames, parameterShapes } from './params.ts';

export const IGNORE_INDEX = -100;

export interface LogprobsResult {
  logps: Float32Array;
  logitSums: Float64Array;
  backward(dLogps: Float32Array): void;
  release(): void;
}

export interface ForwardLogprobsOptions {
  /** Record for backward (default true). false: inference only, buffers freed before returning. */
  requiresGrad?: boolean;
}

export interface KVCache {
  batch: number;
  capacity: number;
  /** Slots filled so far (same for every row: rows are left-padded to a common length). */
  length: number;
  padLeft: Int32Array;
  /** Per layer [B, capacity, Hkv, Dh]. */
  k: Float32Array[];
  v: Float32Array[];
}

interface LayerParams {
  inputNorm: Parameter;
  postAttnNorm: Parameter;
  preFfnNorm: Parameter | null;
  postFfnNorm: Parameter | null;
  q: Parameter;
  qb: Parameter | null;
  k: Parameter;
  kb: Parameter | null;
  v: Parameter;
  vb: Parameter | null;
  o: Parameter;
  ob: Parameter | null;
  gate: Parameter;
  gateB: Parameter | null;
  up: Parameter;
  upB: Parameter | null;
  down: Parameter;
  downB: Parameter | null;
  window: number;
}

/** Per-forward context of a decoder layer. */
interface LayerContext {
  b: number;
  /** New tokens per row in this call. */
  t: number;
  positions: Int32Array;
  firstKey: Int32Array | null;
  /** KV-cache write/read (inference only). */
  cache: { cache: KVCache; start: number } | null;
}

export class CausalLM {
  readonly config: ModelConfig;
  readonly family: Family;
  readonly traits: FamilyTraits;
  readonly backend: Backend;
  readonly parameters: Map<string, Parameter>;
  readonly pool = new BufferPool();
  gradientCheckpointing = false;
  training = true;
  /** Row-chunking of the lm_head + log-prob op (see lm_head.ts); tests shrink these to exercise chunking. */
  lmHeadChunkFloats = 1 << 20;
  keepLogitsFloats = 1 << 22;

  private readonly embed: Parameter;
  private readonly head: Parameter;
  private readonly finalNorm: Parameter;
  private readonly layers: LayerParams[];
  private rope: ops.RopeTables | null = null;

  constructor(cfg: ModelConfig, family: Family, weights: Map<string, Float32Array>, backend: Backend = getBackend()) {
    this.config = cfg;
    this.family = family;
    this.backend = backend;
    validateConfig(cfg);
    this.traits = family.traits(cfg);
    this.parameters = buildParameters(cfg, weights);
    const p = (name: string): Parameter => this.parameters.get(name)!;
    const opt = (name: string): Parameter | null => this.parameters.get(name) ?? null;
    this.embed = p(EMBED_NAME);
    this.head = cfg.tie_word_embeddings ? this.embed : p(LM_HEAD_NAME);
    this.finalNorm = p(FINAL_NORM_NAME);
    const gemmaNorms = layerNormNames(cfg).length === 4;
    this.layers = [];
    for (let l = 0; l < cfg.num_hidden_layers; l++) {
      const pre = `model.layers.${l}.`;
      this.layers.push({
        inputNorm: p(`${pre}input_layernorm.weight`),
        postAttnNorm: p(`${pre}post_attention_layernorm.weight`),
        preFfnNorm: gemmaNorms ? p(`${pre}pre_feedforward_layernorm.weight`) : null,
        postFfnNorm: gemmaNorms ? p(`${pre}post_feedforward_layernorm.weight`) : null,
        q: p(`${pre}self_attn.q_proj.weight`),
        qb: opt(`${pre}self_attn.q_proj.bias`),
        k: p(`${pre}self_attn.k_proj.weight`),
        kb: opt(`${pre}self_attn.k_proj.bias`),
        v: p(`${pre}self_attn.v_proj.weight`),
        vb: opt(`${pre}self_attn.v_proj.bias`),
        o: p(`${pre}self_attn.o_proj.weight`),
        ob: opt(`${pre}self_attn.o_proj.bias`),
        gate: p(`${pre}mlp.gate_proj.weight`),
        gateB: opt(`${pre}mlp.gate_proj.bias`),
        up: p(`${pre}mlp.up_proj.weight`),
        upB: opt(`${pre}mlp.up_proj.bias`),
        down: p(`${pre}mlp.down_proj.weight`),
        downB: opt(`${pre}mlp.down_proj.bias`),
        window: layerUsesSlidingWindow(cfg, l) ? cfg.sliding_window! : 0,
      });
    }
  }

  // ------------------------------------------------------------------------------------------ modes

  train(): this {
    this.training = true;
    return this;
  }

  eval(): this {
    this.training = false;
    return this;
  }

  /** Freeze (false) or unfreeze all parameters; a frozen model never allocates gradients. */
  setRequiresGrad(flag: boolean): void {
    for (const p of this.parameters.values()) p.requiresGrad = flag;
  }

  zeroGrad(): void {
    for (const p of this.parameters.values()) p.zeroGrad();
  }

  /** The current weights by HF name (views of the live parameter buffers, not copies). */
  weights(): Map<string, Float32Array> {
    const m = new Map<string, Float32Array>();
    for (const [n, p] of this.parameters) m.set(n, p.data);
    return m;
  }

  // --------------------------------------------------------------------------------------- training

  forwardLogprobs(
    inputIds: Int32Array,
    targets: Int32Array,
    batch: number,
    seqLen: number,
    opts: ForwardLogprobsOptions = {},
  ): LogprobsResult {
    const n = batch * seqLen;
    this.checkIds('inputIds', inputIds, batch, seqLen, false);
    this.checkIds('targets', targets, batch, seqLen, true);
    const recording = opts.requiresGrad ?? true;
    const tape = new Tape(this.backend, { recording, pool: this.pool });
    try {
      const positions = new Int32Array(n);
      for (let b = 0; b < batch; b++) for (let t = 0; t < seqLen; t++) positions[b * seqLen + t] = t;
      this.ensureRope(seqLen);
      const ctx: LayerContext = { b: batch, t: seqLen, positions, firstKey: null, cache: null };
      const h = this.trunk(tape, inputIds, ctx);
      const { logp, logitSum } = lmHeadLogprobs(tape, h, this.head, targets, {
        softcap: this.traits.finalSoftcap,
        chunkFloats: this.lmHeadChunkFloats,
        keepLogitsFloats: this.keepLogitsFloats,
      });
      const logps = Float32Array.from(logp.data);
      const logitSums = new Float64Array(batch);
      for (let i = 0; i < n; i++) logitSums[Math.floor(i / seqLen)] += logitSum[i];
      if (!recording) tape.release();
      return {
        logps,
        logitSums,
        backward: (dLogps: Float32Array) => {
          if (!recording) throw new Error('forwardLogprobs: backward() on a forward run with requiresGrad: false');
          if (tape.isReleased) throw new Error('forwardLogprobs: backward() called twice or after release()');
          try {
            if (dLogps.length !== n) {
              throw new PoetError(`backward: dLogps has ${dLogps.length} values, expected B·T = ${n}`);
            }
            tape.grad(logp)!.set(dLogps);
            tape.backward();
          } finally {
            tape.release();
          }
        },
        release: () => tape.release(),
      };
    } catch (e) {
      tape.release();
      throw e;
    }
  }

  // ------------------------------------------------------------------------------------- generation

  /**
   * Full forward without a cache. Returns logits [B, V] of each row's last slot, or [B·T, V] for every
   * slot with `allPositions`. Rows may be left-padded (`padLeft`).
   */
  forwardLogits(
    inputIds: Int32Array,
    batch: number,
    seqLen: number,
    opts: { padLeft?: Int32Array; allPositions?: boolean } = {},
  ): Float32Array {
    this.checkIds('inputIds', inputIds, batch, seqLen, false);
    const padLeft = this.checkPadLeft(opts.padLeft, batch, seqLen);
    const tape = new Tape(this.backend, { recording: false, pool: this.pool });
    try {
      this.ensureRope(seqLen);
      const ctx: LayerContext = {
        b: batch,
        t: seqLen,
        positions: leftPaddedPositions(padLeft, batch, seqLen, 0),
        firstKey: opts.padLeft ? padLeft : null,
        cache: null,
      };
      const h = this.trunk(tape, inputIds, ctx);
      const rowsIdx: number[] = [];
      for (let b = 0; b < batch; b++) {
        if (opts.allPositions) for (let t = 0; t < seqLen; t++) rowsIdx.push(b * seqLen + t);
        else rowsIdx.push(b * seqLen + seqLen - 1);
      }
      return lmHeadLogits(tape, h, this.head, rowsIdx, this.traits.finalSoftcap);
    } finally {
      tape.release();
    }
  }

  createKVCache(batch: number, capacity: number): KVCache {
    const cfg = this.config;
    const per = batch * capacity * cfg.num_key_value_heads * cfg.head_dim;
    const k: Float32Array[] = [];
    const v: Float32Array[] = [];
    for (let l = 0; l < cfg.num_hidden_layers; l++) {
      k.push(new Float32Array(per));
      v.push(new Float32Array(per));
    }
    return { batch, capacity, length: 0, padLeft: new Int32Array(batch), k, v };
  }

  /** Run the (left-padded) prompts through the model, filling the cache; logits [B, V] of the last slot. */
  prefill(cache: KVCache, inputIds: Int32Array, batch: number, seqLen: number, padLeft?: Int32Array): Float32Array {
    if (batch !== cache.batch) throw new PoetError(`prefill: batch ${batch} differs from the cache's ${cache.batch}`);
    if (seqLen > cache.capacity) {
      throw new PoetError(`prefill: prompt length ${seqLen} exceeds the KV cache capacity ${cache.capacity}`);
    }
    this.checkIds('inputIds', inputIds, batch, seqLen, false);
    cache.padLeft = this.checkPadLeft(padLeft, batch, seqLen);
    cache.length = 0;
    return this.cachedStep(cache, inputIds, seqLen);
  }

  /** Append one token per row; logits [B, V] for the next token. */
  decodeStep(cache: KVCache, tokens: Int32Array): Float32Array {
    if (tokens.length !== cache.batch) {
      throw new PoetError(`decodeStep: expected ${cache.batch} tokens (one per row), found ${tokens.length}`);
    }
    if (cache.length === 0) throw new PoetError('decodeStep: call prefill() first');
    if (cache.length >= cache.capacity) throw new PoetError(`decodeStep: KV cache is full (capacity ${cache.capacity})`);
    this.checkIds('tokens', tokens, cache.batch, 1, false);
    return this.cachedStep(cache, tokens, 1);
  }

  private cachedStep(cache: KVCache, ids: Int32Array, t: number): Float32Array {
    const batch = cache.batch;
    const start = cache.length;
    const tape = new Tape(this.backend, { recording: false, pool: this.pool });
    try {
      this.ensureRope(start + t);
      const ctx: LayerContext = {
        b: batch,
        t,
        positions: leftPaddedPositions(cache.padLeft, batch, t, start),
        firstKey: cache.padLeft,
        cache: { cache, start },
      };
      const h = this.trunk(tape, ids, ctx);
      cache.length = start + t;
      const rowsIdx = Array.from({ length: batch }, (_, b) => b * t + t - 1);
      return lmHeadLogits(tape, h, this.head, rowsIdx, this.traits.finalSoftcap);
    } finally {
      tape.release();
    }
  }

  // ------------------------------------------------------------------------------------------ trunk

  /** Embedding → decoder layers → final norm; returns the normalised hidden states [B·T, D]. */
  private trunk(tape: Tape, ids: Int32Array, ctx: LayerContext): Tensor {
    let x = ops.embedding(tape, 'embed_tokens', ids, this.embed, this.traits.embedScale);
    for (let l = 0; l < this.layers.length; l++) {
      const prev = x;
      if (tape.recording && this.gradientCheckpointing) x = this.checkpointedLayer(tape, x, l, ctx);
      else x = tape.scoped(() => this.layer(tape, prev, l, ctx));
      if (!tape.recording) tape.free(prev);
    }
    return ops.rmsnorm(tape, 'norm', x, this.finalNorm, this.config.rms_norm_eps, this.traits.normAddOne);
  }

  /** One decoder layer; x [B·T, D] → [B·T, D]. */
  private layer(tape: Tape, x: Tensor, l: number, ctx: LayerContext): Tensor {
    const cfg = this.config;
    const tr = this.traits;
    const L = this.layers[l];
    const eps = cfg.rms_norm_eps;
    const { b, t } = ctx;
    const hq = cfg.num_attention_heads;
    const hkv = cfg.num_key_value_heads;
    const dh = cfg.head_dim;
    const name = `layers.${l}`;

    // --- attention block
    const h = ops.rmsnorm(tape, `${name}.input_layernorm`, x, L.inputNorm, eps, tr.normAddOne);
    const q = ops.linear(tape, `${name}.q_proj`, h, L.q, L.qb, [b, t, hq, dh]); // [B,T,Hq,Dh]
    let k = ops.linear(tape, `${name}.k_proj`, h, L.k, L.kb, [b, t, hkv, dh]); // [B,T,Hkv,Dh]
    let v = ops.linear(tape, `${name}.v_proj`, h, L.v, L.vb, [b, t, hkv, dh]);
    ops.ropeInPlace(tape, `${name}.rope_q`, q, this.rope!, ctx.positions, b, t);
    ops.ropeInPlace(tape, `${name}.rope_k`, k, this.rope!, ctx.positions, b, t);
    let tk = t;
    let tcap = t;
    if (ctx.cache) {
      // write the new keys/values at slots [start, start+t) of every row, attend over [0, start+t)
      const { cache, start } = ctx.cache;
      const row = hkv * dh;
      for (let bi = 0; bi < b; bi++) {
        const dst = (bi * cache.capacity + start) * row;
        cache.k[l].set(k.data.subarray(bi * t * row, (bi + 1) * t * row), dst);
        cache.v[l].set(v.data.subarray(bi * t * row, (bi + 1) * t * row), dst);
      }
      k = new Tensor([b, cache.capacity, hkv, dh], cache.k[l]);
      v = new Tensor([b, cache.capacity, hkv, dh], cache.v[l]);
      tk = start + t;
      tcap = cache.capacity;
    }
    const a = ops.attention(tape, `${name}.attention`, q, k, v, {
      b,
      tq: t,
      tk,
      tcap,
      hq,
      hkv,
      dh,
      scale: tr.attnScale,
      window: L.window,
      softcap: tr.attnSoftcap,
      firstKey: ctx.firstKey,
    });
    let o = ops.linear(tape, `${name}.o_proj`, a, L.o, L.ob);
    if (tr.sandwichNorms) o = ops.rmsnorm(tape, `${name}.post_attention_layernorm`, o, L.postAttnNorm, eps, true);
    const x1 = ops.add(tape, `${name}.residual_attn`, x, o);

    // --- MLP block
    const norm2 = tr.sandwichNorms ? L.preFfnNorm! : L.postAttnNorm;
    const h2 = ops.rmsnorm(tape, `${name}.${tr.sandwichNorms ? 'pre_feedforward' : 'post_attention'}_layernorm`, x1, norm2, eps, tr.normAddOne);
    const g = ops.linear(tape, `${name}.gate_proj`, h2, L.gate, L.gateB);
    const u = ops.linear(tape, `${name}.up_proj`, h2, L.up, L.upB);
    const m = ops.glu(tape, `${name}.mlp_act`, g, u, tr.act);
    let d = ops.linear(tape, `${name}.down_proj`, m, L.down, L.downB);
    if (tr.sandwichNorms) d = ops.rmsnorm(tape, `${name}.post_feedforward_layernorm`, d, L.postFfnNorm!, eps, true);
    return ops.add(tape, `${name}.residual_mlp`, x1, d);
  }

  /**
   * Gradient checkpointing: run the layer without recording (its temporaries are freed at once), keep
   * only its input, and in backward recompute the layer on a sub-tape and backpropagate through it.
   */
  private checkpointedLayer(tape: Tape, x: Tensor, l: number, ctx: LayerContext): Tensor {
    const fwd = new Tape(this.backend, { recording: false, pool: this.pool, checkNumerics: tape.checkNumerics });
    const y0 = fwd.scoped(() => this.layer(fwd, x, l, ctx));
    const y = tape.tensor(y0.shape);
    y.data.set(y0.data);
    fwd.release();
    tape.record(`layers.${l}.checkpoint`, () => {
      if (!y.grad) return;
      tape.grad(x); // x's gradient buffer belongs to the outer tape
      const re = new Tape(this.backend, { recording: true, pool: this.pool, checkNumerics: tape.checkNumerics });
      try {
        const yr = this.layer(re, x, l, ctx);
        yr.grad = y.grad;
        re.backward();
      } finally {
        re.release();
      }
    });
    return y;
  }

  // ------------------------------------------------------------------------------------ validation

  private ensureRope(positions: number): void {
    if (this.rope && this.rope.maxPositions >= positions) return;
    const cfg = this.config;
    const size = Math.max(positions, 2 * (this.rope?.maxPositions ?? 0), 256);
    this.rope = buildRopeTables(cfg.head_dim, cfg.rope_theta, cfg.rope_scaling, size);
  }

  private checkIds(what: string, ids: Int32Array, batch: number, seqLen: number, allowIgnore: boolean): void {
    if (!(ids instanceof Int32Array)) throw new PoetError(`${what}: expected an Int32Array`);
    if (!(batch > 0 && seqLen > 0) || ids.length !== batch * seqLen) {
      throw new PoetError(`${what}: expected shape [${batch}, ${seqLen}] (${batch * seqLen} ids), found ${ids.length} ids`);
    }
    const V = this.config.vocab_size;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if ((id < 0 || id >= V) && !(allowIgnore && id === IGNORE_INDEX)) {
        throw new PoetError(
          `${what}: id ${id} at row ${Math.floor(i / seqLen)}, position ${i % seqLen} is outside the vocabulary [0, ${V})` +
            (allowIgnore ? ' and is not the ignore index -100' : ''),
        );
      }
    }
  }

  private checkPadLeft(padLeft: Int32Array | undefined, batch: number, seqLen: number): Int32Array {
    if (!padLeft) return new Int32Array(batch);
    if (padLeft.length !== batch) throw new PoetError(`padLeft: expected ${batch} values (one per row), found ${padLeft.length}`);
    for (let b = 0; b < batch; b++) {
      if (padLeft[b] < 0 || padLeft[b] >= seqLen) {
        throw new PoetError(`padLeft: row ${b} has ${padLeft[b]} pad slots; expected 0 ≤ padLeft < ${seqLen} (at least one real token)`);
      }
    }
    return padLeft;
  }
}

/** Position of slot start+t of row b = start + t − padLeft[b] (pad slots clamp to 0; they are never attended). */
function leftPaddedPositions(padLeft: Int32Array, batch: number, t: number, start: number): Int32Array {
  const pos = new Int32Array(batch * t);
  for (let b = 0; b < batch; b++) for (let i = 0; i < t; i++) pos[b * t + i] = Math.max(0, start + i - padLeft[b]);
  return pos;
}

function validateConfig(cfg: ModelConfig): void {
  const need = (ok: boolean, key: string, msg: string): void => {
    if (!ok) throw new PoetError(`config key ${key}: ${msg}`);
  };
  for (const key of ['vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'head_dim'] as const) {
    need(Number.isInteger(cfg[key]) && cfg[key] > 0, key, `expected a positive integer, found ${cfg[key]}`);
  }
  need(cfg.head_dim % 2 === 0, 'head_dim', `rotary embeddings need an even head_dim, found ${cfg.head_dim}`);
  need(
    cfg.num_attention_heads % cfg.num_key_value_heads === 0,
    'num_key_value_heads',
    `must divide num_attention_heads (${cfg.num_attention_heads}), found ${cfg.num_key_value_heads}`,
  );
  need(cfg.rms_norm_eps > 0, 'rms_norm_eps', `expected a positive number, found ${cfg.rms_norm_eps}`);
  need(cfg.rope_theta > 0, 'rope_theta', `expected a positive number, found ${cfg.rope_theta}`);
  if (cfg.sliding_window !== null) {
    need(Number.isInteger(cfg.sliding_window) && cfg.sliding_window > 0, 'sliding_window', `expected a positive integer or null, found ${cfg.sliding_window}`);
  }
}

/** Wrap the weight map into Parameters, checking names and sizes against params.ts. */
function buildParameters(cfg: ModelConfig, weights: Map<string, Float32Array>): Map<string, Parameter> {
  const shapes = parameterShapes(cfg);
  const params = new Map<string, Parameter>();
  for (const [name, shape] of shapes) {
    const w = weights.get(name);
    if (!w) throw new PoetError(`model weights: missing tensor '${name}' (expected shape [${shape.join(', ')}])`);
    const size = shape.reduce((a, b) => a * b, 1);
    if (!(w instanceof Float32Array)) throw new PoetError(`model weights: tensor '${name}' must be a Float32Array`);
    if (w.length !== size) {
      throw new PoetError(`model weights: tensor '${name}' has ${w.length} values, expected shape [${shape.join(', ')}] = ${size}`);
    }
    params.set(name, new Parameter(name, shape, w));
  }
  for (const name of weights.keys()) {
    if (!shapes.has(name)) throw new PoetError(`model weights: unexpected tensor '${name}' for model_type ${cfg.model_type}`);
  }
  return params;
}
