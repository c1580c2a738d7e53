/**
 * Tensors: a shape plus a contiguous row-major fp32 buffer. Activations get their buffers from a tape's
 * pool (and give them back when the tape is released); parameters own their buffers.
 * A tensor's gradient buffer, when it has one, has the same shape and lives in `grad`.
 */
import { PoetError } from '../util/errors.ts';

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export class Tensor {
  readonly shape: readonly number[];
  readonly size: number;
  data: Float32Array;
  /** Gradient of the tape's output w.r.t. this tensor; null until something flows into it. */
  grad: Float32Array | null = null;

  constructor(shape: readonly number[], data: Float32Array) {
    const size = numel(shape);
    if (data.length !== size) {
      throw new Error(`Tensor: shape [${shape.join(', ')}] needs ${size} values, buffer has ${data.length}`);
    }
    this.shape = shape;
    this.size = size;
    this.data = data;
  }
}

/**
 * A named model parameter (HF tensor name). `grad` is allocated on first need (`ensureGrad`) so that a
 * frozen model (the DPO reference) never pays for gradient memory.
 */
export class Parameter extends Tensor {
  readonly name: string;
  /** false = frozen: backward skips its gradient entirely. */
  requiresGrad = true;

  constructor(name: string, shape: readonly number[], data: Float32Array) {
    super(shape, data);
    this.name = name;
  }

  ensureGrad(): Float32Array {
    this.grad ??= new Float32Array(this.size);
    return this.grad;
  }

  zeroGrad(): void {
    this.grad?.fill(0);
  }
}

/** Throw a PoetError naming `what` if `shape` differs from `expected`. */
export function assertShape(what: string, shape: readonly number[], expected: readonly number[]): void {
  if (shape.length !== expected.length || shape.some((d, i) => d !== expected[i])) {
    throw new PoetError(`${what}: expected shape [${expected.join(', ')}], found [${shape.join(', ')}]`);
  }
}
