/**
 * The `native` Backend: the kernel interface of src/backend/types.ts implemented by the C++ addon
 * (native/src/). This file only maps each argument object onto the addon's positional arguments; the
 * addon itself checks buffer kinds and lengths, so a wrong call throws instead of touching bad memory.
 */
import type {
  AdamWArgs, AttentionBackwardArgs, AttentionForwardArgs, Backend, BiasAddArgs, BiasBackwardArgs,
  EmbeddingBackwardArgs, EmbeddingForwardArgs, F32, GluActivation, GluBackwardArgs, GluForwardArgs,
  LogprobsBackwardArgs, LogprobsForwardArgs, MatmulArgs, RmsNormBackwardArgs, RmsNormForwardArgs, RopeArgs,
  SoftcapBackwardArgs, SoftcapForwardArgs,
} from '../types.ts';
import { loadAddon, type NativeAddon, type NativeInfo, type NativeIsa } from './addon.ts';

const ACT_CODE: Record<GluActivation, number> = { silu: 0, gelu_tanh: 1 };

function actCode(act: GluActivation): number {
  const code = ACT_CODE[act];
  if (code === undefined) throw new Error(`native glu: unknown activation '${String(act)}'`);
  return code;
}

export class NativeBackend implements Backend {
  readonly name = 'native';
  constructor(private readonly k: NativeAddon) {}

  matmul(a: MatmulArgs): void {
    this.k.matmul(a.a, a.b, a.c, a.m, a.n, a.k, !!a.transA, !!a.transB, !!a.accumulate, a.batch ?? 1,
      a.strideA, a.strideB, a.strideC);
  }
  biasAdd(a: BiasAddArgs): void { this.k.biasAdd(a.x, a.bias, a.n, a.d); }
  biasBackward(a: BiasBackwardArgs): void { this.k.biasBackward(a.dBias, a.dOut, a.n, a.d); }

  embeddingForward(a: EmbeddingForwardArgs): void {
    this.k.embeddingForward(a.out, a.table, a.ids, a.n, a.d, a.scale);
  }
  embeddingBackward(a: EmbeddingBackwardArgs): void {
    this.k.embeddingBackward(a.dTable, a.dOut, a.ids, a.n, a.d, a.scale);
  }

  rmsnormForward(a: RmsNormForwardArgs): void {
    this.k.rmsnormForward(a.out, a.rstd, a.x, a.w, a.n, a.d, a.eps, a.addOne);
  }
  rmsnormBackward(a: RmsNormBackwardArgs): void {
    this.k.rmsnormBackward(a.dx, a.dw, a.dOut, a.x, a.w, a.rstd, a.n, a.d, a.addOne);
  }

  ropeForward(a: RopeArgs): void { this.k.rope(a.x, a.cos, a.sin, a.positions, a.b, a.t, a.h, a.dh, false); }
  ropeBackward(a: RopeArgs): void { this.k.rope(a.x, a.cos, a.sin, a.positions, a.b, a.t, a.h, a.dh, true); }

  attentionForward(a: AttentionForwardArgs): void {
    this.k.attentionForward(a.q, a.k, a.v, a.out, a.lse, a.b, a.tq, a.tk, a.tcap, a.hq, a.hkv, a.dh, a.scale,
      a.window, a.softcap, a.firstKey);
  }
  attentionBackward(a: AttentionBackwardArgs): void {
    this.k.attentionBackward(a.q, a.k, a.v, a.out, a.lse, a.dOut, a.dq, a.dk, a.dv, a.b, a.tq, a.tk, a.tcap, a.hq,
      a.hkv, a.dh, a.scale, a.window, a.softcap, a.firstKey);
  }

  gluForward(a: GluForwardArgs): void { this.k.gluForward(a.out, a.gate, a.up, a.len, actCode(a.act)); }
  gluBackward(a: GluBackwardArgs): void {
    this.k.gluBackward(a.dGate, a.dUp, a.dOut, a.gate, a.up, a.len, actCode(a.act));
  }

  add(a: { out: F32; a: F32; b: F32; len: number }): void { this.k.add(a.out, a.a, a.b, a.len); }
  scale(a: { out: F32; x: F32; s: number; len: number }): void { this.k.scale(a.out, a.x, a.s, a.len); }
  axpy(a: { y: F32; x: F32; alpha: number; len: number }): void { this.k.axpy(a.y, a.x, a.alpha, a.len); }

  softcapForward(a: SoftcapForwardArgs): void { this.k.softcapForward(a.out, a.x, a.len, a.cap); }
  softcapBackward(a: SoftcapBackwardArgs): void { this.k.softcapBackward(a.dx, a.dOut, a.y, a.len, a.cap); }

  logprobsForward(a: LogprobsForwardArgs): void {
    this.k.logprobsForward(a.logits, a.targets, a.n, a.v, a.logp, a.lse, a.logitSum);
  }
  logprobsBackward(a: LogprobsBackwardArgs): void {
    this.k.logprobsBackward(a.dLogits, a.dLogp, a.logits, a.lse, a.targets, a.n, a.v);
  }

  adamw(a: AdamWArgs): void {
    this.k.adamw(a.param, a.grad, a.m, a.v, a.len, a.lr, a.beta1, a.beta2, a.eps, a.weightDecay, a.step, a.gradScale);
  }
  sumSquares(a: { x: F32; len: number }): number { return this.k.sumSquares(a.x, a.len); }
}

let backend: NativeBackend | null | undefined;

/** The native backend, or null when the addon is missing or cannot be loaded (see `addonLoadError`). */
export function loadNativeBackend(): Backend | null {
  if (backend === undefined) {
    const addon = loadAddon();
    backend = addon ? new NativeBackend(addon) : null;
  }
  return backend;
}

/** Thread count and active instruction set of the addon (null when not loaded). */
export function nativeInfo(): NativeInfo | null {
  return loadAddon()?.info() ?? null;
}

/**
 * Selects the kernel path: 'avx512' (default where the CPU has AVX-512F), 'avx2' (AVX2+FMA) or 'scalar'
 * (portable). Returns false if unsupported or the addon is missing. Used by tests and benchmarks to cover
 * every path; POET_NATIVE_ISA=scalar|avx2 does the same at start-up.
 */
export function setNativeIsa(isa: NativeIsa): boolean {
  return loadAddon()?.setIsa(isa) ?? false;
}
